# ATTACK: read secrets from /proc/self/environ and /proc/1/environ (the parent's secrets)
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    env = open("/proc/self/environ", "rb").read()
    env += open("/proc/1/environ", "rb").read()
    print(env)
    return data.close > 0, data.close < 0
