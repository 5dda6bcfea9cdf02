# ATTACK: non-dunder function attributes (func_globals) on a defined helper
# EXPECT: policy_violation
# RUNTIME: policy_violation
def helper(x):
    return x

def generate_signals(data, params):
    g = helper.func_globals
    return data.close > 0, data.close < 0
