# ATTACK: print(file=...) to write through an object's write()
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    print("x", file=data)
    return data.close > 0, data.close < 0
