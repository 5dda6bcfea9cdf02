# ATTACK: pass engine="numba" positionally (rolling().mean(False, "numba")) to dodge a keyword check
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    fast = data.close.rolling(5).mean(False, "numba")
    return (data.close > fast).fillna(False), data.close < 0
