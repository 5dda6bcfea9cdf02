# ATTACK: Series.apply('to_csv') resolves a method by name inside pandas
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    data.close.apply("to_csv", args=("SENTINEL_PATH",))
    return data.close > 0, data.close < 0
