# ATTACK: try/except* ExceptionGroup type confusion (CVE-2025-22153 shape)
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    try:
        raise ValueError("x")
    except* ValueError as eg:
        inner = eg.exceptions[0]
    return data.close > 0, data.close < 0
