# ATTACK: memory bomb: list repetition
# EXPECT: memory_limit
# RUNTIME: memory_limit
def generate_signals(data, params):
    big = [0.0] * (10 ** 10)
    return data.close > 0, data.close < 0
