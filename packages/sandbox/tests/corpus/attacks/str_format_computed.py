# ATTACK: str.format with a format string assembled at run time to dodge the '__' check
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    u = "_" + "_"
    spec = "{0." + u + "init" + u + "." + u + "globals" + u + "}"
    print(spec.format(generate_signals))
    return data.close > 0, data.close < 0
