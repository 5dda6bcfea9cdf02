# ATTACK: generator frame via getattr with a computed attribute name
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def gen():
    yield 0

def generate_signals(data, params):
    name = "gi" + "_" + "frame"
    fr = getattr(gen(), name)
    return data.close > 0, data.close < 0
