# ATTACK: attribute assignment on the data frame (data.close = ...)
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    data.close = data.open
    return data.close > 0, data.close < 0
