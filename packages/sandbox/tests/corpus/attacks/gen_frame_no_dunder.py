# ATTACK: generator frame walk using only non-dunder names (gi_frame, f_back, f_locals)
# EXPECT: policy_violation
# RUNTIME: policy_violation
def gen():
    yield 0

def generate_signals(data, params):
    g = gen()
    loc = g.gi_frame.f_back.f_locals
    return loc["data"].close > 0, data.close < 0
