# ATTACK: class poisoning: pd.Series.rolling = ...
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    pd.Series.rolling = lambda self, n: self
    return data.close > 0, data.close < 0
