# ATTACK: swap a function's __code__ for one compiled without guards
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    c = compile("open('SENTINEL_PATH', 'w')", "x", "exec")
    generate_signals.__code__ = c
    return data.close > 0, data.close < 0
