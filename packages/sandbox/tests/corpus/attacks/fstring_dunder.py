# ATTACK: f-string attribute traversal to __class__.__base__
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    print(f"{data.__class__.__base__}")
    return data.close > 0, data.close < 0
