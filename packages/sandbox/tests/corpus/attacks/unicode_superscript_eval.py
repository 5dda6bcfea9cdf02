# ATTACK: NFKC look-alike identifier: ᵉval (modifier letter small e) normalises to eval
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    leak = ᵉval("__import__('os').environ")
    return data.close > 0, data.close < 0
