# ATTACK: memory/CPU bomb with a huge left shift (1 << 10**11) that no static rule sees
# EXPECT: memory_limit|cpu_limit
# RUNTIME: memory_limit|cpu_limit
def generate_signals(data, params):
    mask = 1 << 10 ** 11
    return data.close > 0, data.close < 0
