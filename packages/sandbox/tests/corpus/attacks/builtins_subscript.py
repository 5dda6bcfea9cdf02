# ATTACK: __builtins__['eval'] from the module namespace
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    ev = __builtins__["eval"]
    ev("1")
    return data.close > 0, data.close < 0
