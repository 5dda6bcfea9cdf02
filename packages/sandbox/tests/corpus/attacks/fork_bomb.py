# ATTACK: os.fork bomb
# EXPECT: policy_violation
# RUNTIME: policy_violation
import os

def generate_signals(data, params):
    while True:
        os.fork()
    return data.close > 0, data.close < 0
