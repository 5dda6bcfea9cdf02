# ATTACK: ndarray.dumps / np.loads pickle round-trip
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    blob = data.close.values.dumps()
    return data.close > 0, data.close < 0
