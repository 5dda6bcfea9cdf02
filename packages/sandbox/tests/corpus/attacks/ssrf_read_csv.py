# ATTACK: SSRF: pd.read_csv from a local HTTP endpoint
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    leak = pd.read_csv("http://127.0.0.1:LISTENER_PORT/metadata")
    return data.close > 0, data.close < 0
