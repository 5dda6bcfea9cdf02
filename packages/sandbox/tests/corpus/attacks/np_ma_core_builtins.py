# ATTACK: module attribute chain np.ma.core.builtins.open
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    np.ma.core.builtins.open("SENTINEL_PATH", "w")
    return data.close > 0, data.close < 0
