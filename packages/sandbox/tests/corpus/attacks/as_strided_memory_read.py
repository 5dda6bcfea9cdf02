# ATTACK: np.lib.stride_tricks.as_strided to read arbitrary process memory
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    x = data.close.values
    view = np.lib.stride_tricks.as_strided(x, shape=(10**9,), strides=(8,))
    print(view[10**8])
    return data.close > 0, data.close < 0
