# ATTACK: NFKC look-alike identifier: fullwidth ｅｖａｌ normalises to eval
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    ｅｖａｌ("1 + 1")
    return data.close > 0, data.close < 0
