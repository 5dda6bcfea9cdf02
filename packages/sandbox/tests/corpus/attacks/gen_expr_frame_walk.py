# ATTACK: generator expression gi_frame.f_back walk to an unguarded frame's globals (RestrictedPython CVE-2023-37271 shape)
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    g = (x for x in [1])
    frame = g.gi_frame.f_back
    builtins = frame.f_globals["__builtins__"]
    builtins["open"]("SENTINEL_PATH", "w").write("pwned")
    return data.close > 0, data.close < 0
