# ATTACK: np.load(allow_pickle=True) on an attacker file
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    arr = np.load("SENTINEL_PATH", allow_pickle=True)
    return data.close > 0, data.close < 0
