# ATTACK: __import__('os') directly
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    os_mod = __import__("os")
    os_mod.system("touch SENTINEL_PATH")
    return data.close > 0, data.close < 0
