# ATTACK: item access with a dunder key on params / data
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    key = "_" + "_class" + "_" + "_"
    x = params[key] if key in params else data[key]
    return data.close > 0, data.close < 0
