# ATTACK: AttributeError.obj leaks the object that failed a lookup (CVE-2024-47532 shape); catches the refusal with except Exception
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    try:
        data.no_such_column_attr
    except Exception as e:
        leaked = e.obj
    return data.close > 0, data.close < 0
