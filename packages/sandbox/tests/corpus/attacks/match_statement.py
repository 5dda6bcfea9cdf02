# ATTACK: match statement class patterns probing attributes
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
def generate_signals(data, params):
    match data:
        case object(close=c):
            pass
    return data.close > 0, data.close < 0
