# ATTACK: infinite loop
# EXPECT: cpu_limit|timeout
# RUNTIME: cpu_limit|timeout
def generate_signals(data, params):
    n = 0
    while True:
        n += 1
    return data.close > 0, data.close < 0
