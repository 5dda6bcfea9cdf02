# ATTACK: rolling().apply(engine='numba') to JIT code outside the guards
# EXPECT: policy_violation
# RUNTIME: policy_violation
def f(x):
    return x[-1]

def generate_signals(data, params):
    r = data.close.rolling(5).apply(f, raw=True, engine="numba")
    return data.close > 0, data.close < 0
