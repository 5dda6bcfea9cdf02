# ATTACK: DataFrame.agg('to_pickle') resolves a method by name inside pandas
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    data.agg("to_pickle", "SENTINEL_PATH")
    return data.close > 0, data.close < 0
