# ATTACK: type('X', (), {...}) to build a class dynamically
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    X = type("X", (), {"f": 1})
    return data.close > 0, data.close < 0
