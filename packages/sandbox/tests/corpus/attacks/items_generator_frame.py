# ATTACK: generator returned by a pandas method (DataFrame.items) then gi_frame
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    g = data.items()
    fr = g.gi_frame
    return data.close > 0, data.close < 0
