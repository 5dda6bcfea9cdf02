# ATTACK: str.format attribute traversal '{0.__class__.__mro__}' (CVE-2023-41039 shape)
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    leak = "{0.__class__.__mro__}".format(data)
    print(leak)
    return data.close > 0, data.close < 0
