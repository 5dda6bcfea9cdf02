# ATTACK: ndarray.data memoryview / .base to reach raw buffers
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    buf = data.close.values.data
    base = data.close.values.base
    return data.close > 0, data.close < 0
