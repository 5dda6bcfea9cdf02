# ATTACK: str.format_map attribute traversal into a function's globals
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    text = "{f.__globals__}".format_map({"f": generate_signals})
    return data.close > 0, data.close < 0
