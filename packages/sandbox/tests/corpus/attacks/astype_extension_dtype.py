# ATTACK: astype with an arbitrary dtype string to trigger extension imports
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    s = data.close.astype("string")
    return data.close > 0, data.close < 0
