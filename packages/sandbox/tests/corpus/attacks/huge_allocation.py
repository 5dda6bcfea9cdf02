# ATTACK: memory bomb: np.ones(10**11)
# EXPECT: memory_limit
# RUNTIME: memory_limit
import numpy as np

def generate_signals(data, params):
    big = np.ones(10 ** 11)
    return data.close > 0, data.close < 0
