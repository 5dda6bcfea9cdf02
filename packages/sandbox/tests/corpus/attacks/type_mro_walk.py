# ATTACK: type(x).mro() to reach object and its subclasses without dunders
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    base = type(data).mro()[-1]
    subs = base.subclasses()
    return data.close > 0, data.close < 0
