# ATTACK: walrus operator to rebind the print collector mid-expression
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    if (_print := None) is None:
        print("x")
    return data.close > 0, data.close < 0
