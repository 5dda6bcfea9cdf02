# ATTACK: pd.set_option / pd.options to change global behaviour
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    pd.set_option("compute.use_numexpr", True)
    pd.options.mode.copy_on_write = False
    return data.close > 0, data.close < 0
