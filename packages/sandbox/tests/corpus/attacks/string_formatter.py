# ATTACK: string.Formatter().get_field to traverse attributes (CVE-2023-41039 shape)
# EXPECT: policy_violation
# RUNTIME: policy_violation
import string

def generate_signals(data, params):
    obj, _ = string.Formatter().get_field("0.__class__", [data], {})
    return data.close > 0, data.close < 0
