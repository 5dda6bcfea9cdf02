# ATTACK: NFKC look-alike for __import__
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    m = __ｉｍｐｏｒｔ__("os")
    return data.close > 0, data.close < 0
