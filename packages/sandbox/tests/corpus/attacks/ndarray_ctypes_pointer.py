# ATTACK: ndarray.ctypes.data raw pointer for memory access
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    ptr = data.close.values.ctypes.data
    return data.close > 0, data.close < 0
