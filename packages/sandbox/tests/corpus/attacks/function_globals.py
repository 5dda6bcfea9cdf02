# ATTACK: function __globals__ to reach the sandbox's guard-free builtins
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    g = generate_signals.__globals__
    b = g["__builtins__"]
    return data.close > 0, data.close < 0
