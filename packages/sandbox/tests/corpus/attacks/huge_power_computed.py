# ATTACK: CPU bomb with a computed exponent (not statically visible)
# EXPECT: cpu_limit|memory_limit|timeout
# RUNTIME: cpu_limit|memory_limit|timeout
def generate_signals(data, params):
    e = len(data) * 10 ** 6
    x = 7 ** e
    y = x * x
    return data.close > 0, data.close < 0
