# ATTACK: np.seterr to change global numpy state
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    np.seterr(all="ignore")
    return data.close > 0, data.close < 0
