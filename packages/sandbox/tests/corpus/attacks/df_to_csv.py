# ATTACK: DataFrame.to_csv to write a file
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    data.to_csv("SENTINEL_PATH")
    return data.close > 0, data.close < 0
