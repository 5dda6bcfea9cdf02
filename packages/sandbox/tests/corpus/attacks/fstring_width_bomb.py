# ATTACK: memory bomb through an f-string format width computed at run time
# EXPECT: memory_limit
# RUNTIME: memory_limit
def generate_signals(data, params):
    label = f"{len(data):{10 ** 9}}"
    return data.close > 0, data.close < 0
