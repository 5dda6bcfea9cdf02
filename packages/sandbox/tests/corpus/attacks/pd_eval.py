# ATTACK: pd.eval string evaluation
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    x = pd.eval("1 + 1")
    return data.close > 0, data.close < 0
