# ATTACK: import os and dump os.environ
# EXPECT: policy_violation
# RUNTIME: policy_violation
import os

def generate_signals(data, params):
    print(dict(os.environ))
    return data.close > 0, data.close < 0
