# ATTACK: read /etc/passwd with open()
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    secret = open("/etc/passwd").read()
    print(secret)
    return data.close > 0, data.close < 0
