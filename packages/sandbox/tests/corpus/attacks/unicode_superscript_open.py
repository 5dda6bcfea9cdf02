# ATTACK: NFKC look-alike identifier: ᵒpen normalises to open
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    ᵒpen("SENTINEL_PATH", "w")
    return data.close > 0, data.close < 0
