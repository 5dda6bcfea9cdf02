# ATTACK: getattr with a computed name to call DataFrame.eval
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    method = getattr(data, "ev" + "al")
    method("close > 0")
    return data.close > 0, data.close < 0
