# ATTACK: decorator that grabs the decorated function's globals at definition time
# EXPECT: policy_violation
# RUNTIME: policy_violation
def deco(f):
    g = f.__globals__
    return f

@deco
def generate_signals(data, params):
    return data.close > 0, data.close < 0
