# ATTACK: from numpy import * to pull in everything
# EXPECT: policy_violation
# RUNTIME: policy_violation
from numpy import *

def generate_signals(data, params):
    return data.close > 0, data.close < 0
