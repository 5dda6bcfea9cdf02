# ATTACK: np.ctypeslib to load libc and call system()
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    libc = np.ctypeslib.load_library("libc.so.6", "/lib/x86_64-linux-gnu")
    libc.system(b"touch SENTINEL_PATH")
    return data.close > 0, data.close < 0
