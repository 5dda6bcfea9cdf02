# ATTACK: generator function + gi_frame.f_back.f_back to reach the child bootstrap globals
# EXPECT: policy_violation
# RUNTIME: policy_violation
def ticks():
    yield 1

def generate_signals(data, params):
    g = ticks()
    f = g.gi_frame.f_back.f_back
    os_mod = f.f_globals["os"]
    os_mod.system("touch SENTINEL_PATH")
    return data.close > 0, data.close < 0
