# ATTACK: ndarray.tofile to write a file
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    data.close.values.tofile("SENTINEL_PATH")
    return data.close > 0, data.close < 0
