# ATTACK: np.frompyfunc / np.vectorize wrapping a forbidden builtin
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
import numpy as np

def generate_signals(data, params):
    f = np.frompyfunc(eval, 1, 1)
    f(np.array(["1"]))
    return data.close > 0, data.close < 0
