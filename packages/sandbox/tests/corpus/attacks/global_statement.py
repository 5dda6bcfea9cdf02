# ATTACK: global statement to rebind the attribute guard for the whole module
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    global _getattr_
    _getattr_ = lambda obj, name: obj
    return data.close > 0, data.close < 0
