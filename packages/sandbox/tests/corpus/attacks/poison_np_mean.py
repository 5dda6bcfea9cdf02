# ATTACK: module poisoning: np.mean = ... to corrupt later runs
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    np.mean = lambda *a, **k: 0
    return data.close > 0, data.close < 0
