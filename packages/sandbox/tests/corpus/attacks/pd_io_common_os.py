# ATTACK: module attribute chain pd.io.common.os.system
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    pd.io.common.os.system("touch SENTINEL_PATH")
    return data.close > 0, data.close < 0
