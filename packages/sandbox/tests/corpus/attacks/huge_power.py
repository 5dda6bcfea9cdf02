# ATTACK: CPU/memory bomb: 10**10**10
# EXPECT: policy_violation
# RUNTIME: cpu_limit|memory_limit|timeout
def generate_signals(data, params):
    x = 10 ** 10 ** 10
    return data.close > 0, data.close < 0
