# ATTACK: keyword-only parameter _getitem_ shadowing the item guard
# EXPECT: policy_violation
# RUNTIME: policy_violation
def pick(obj, *, _getitem_=None):
    return obj["close"]

def generate_signals(data, params):
    return pick(data) > 0, data.close < 0
