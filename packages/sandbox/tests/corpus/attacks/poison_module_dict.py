# ATTACK: module poisoning through np.__dict__ item assignment
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    np.__dict__["where"] = None
    return data.close > 0, data.close < 0
