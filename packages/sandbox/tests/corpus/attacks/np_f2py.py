# ATTACK: np.f2py to compile and run native code
# EXPECT: policy_violation
# RUNTIME: policy_violation
import numpy as np

def generate_signals(data, params):
    np.f2py.compile("subroutine x\nend", modulename="x")
    return data.close > 0, data.close < 0
