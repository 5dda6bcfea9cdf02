# ATTACK: unbounded recursion
# EXPECT: runtime_error
# RUNTIME: runtime_error
def down(n):
    return down(n + 1)

def generate_signals(data, params):
    down(0)
    return data.close > 0, data.close < 0
