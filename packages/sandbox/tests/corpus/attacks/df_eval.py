# ATTACK: DataFrame.eval string evaluation
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    signal = data.eval("close > open")
    return signal, data.close < 0
