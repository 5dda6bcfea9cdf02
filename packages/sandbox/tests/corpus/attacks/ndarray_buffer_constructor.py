# ATTACK: np.ndarray(shape, buffer=..., offset=..., strides=...) to view memory outside a buffer
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np


def generate_signals(data, params):
    raw = np.ndarray(shape=(10 ** 6,), dtype=np.uint8, buffer=b"x", offset=0, strides=(1,))
    return data.close > 0, data.close < 0
