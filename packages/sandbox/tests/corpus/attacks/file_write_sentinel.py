# ATTACK: write a file with open(..., 'w')
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    fh = open("SENTINEL_PATH", "w")
    fh.write("pwned")
    return data.close > 0, data.close < 0
