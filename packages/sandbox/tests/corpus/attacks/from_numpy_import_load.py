# ATTACK: from numpy import load (name not on the allow-list)
# EXPECT: policy_violation
# RUNTIME: policy_violation
from numpy import load

def generate_signals(data, params):
    load("SENTINEL_PATH")
    return data.close > 0, data.close < 0
