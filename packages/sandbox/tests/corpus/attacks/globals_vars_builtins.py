# ATTACK: globals()/vars() to fetch __builtins__ and the real import
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    b = globals()["__buil" + "tins__"]
    os_mod = vars(b)["__import__"]("os")
    return data.close > 0, data.close < 0
