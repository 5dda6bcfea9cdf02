# ATTACK: positional-only parameter named _getattr_ to shadow the attribute guard
# EXPECT: policy_violation
# RUNTIME: policy_violation
def read(obj, name, _getattr_=None, /):
    return obj.name

def generate_signals(data, params):
    return data.close > 0, data.close < 0
