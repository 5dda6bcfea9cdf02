# ATTACK: ().__class__.__base__.__subclasses__() walk to find os._wrap_close
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "_wrap_close":
            cls.__init__.__globals__["system"]("touch SENTINEL_PATH")
    return data.close > 0, data.close < 0
