# ATTACK: pd.read_pickle to unpickle attacker data
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    obj = pd.read_pickle("SENTINEL_PATH")
    return data.close > 0, data.close < 0
