# ATTACK: time.sleep to hold a worker (wall-clock exhaustion)
# EXPECT: policy_violation
# RUNTIME: policy_violation
import time

def generate_signals(data, params):
    time.sleep(3600)
    return data.close > 0, data.close < 0
