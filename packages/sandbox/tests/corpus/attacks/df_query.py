# ATTACK: DataFrame.query with the python engine
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    picked = data.query("close > 0", engine="python")
    return data.close > 0, data.close < 0
