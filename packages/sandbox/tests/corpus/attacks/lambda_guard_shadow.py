# ATTACK: lambda parameter named _write_ to replace the write guard inside its body
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    f = lambda _write_: 1
    return data.close > 0, data.close < 0
