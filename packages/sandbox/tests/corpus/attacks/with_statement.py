# ATTACK: with-statement context manager hooks
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    with open("SENTINEL_PATH", "w") as fh:
        fh.write("x")
    return data.close > 0, data.close < 0
