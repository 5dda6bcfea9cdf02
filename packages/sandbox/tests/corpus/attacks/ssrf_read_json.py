# ATTACK: SSRF: pd.read_json from a local endpoint
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pandas as pd

def generate_signals(data, params):
    leak = pd.read_json("http://127.0.0.1:LISTENER_PORT/")
    return data.close > 0, data.close < 0
