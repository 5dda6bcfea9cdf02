# ATTACK: raw socket connect to a local listener
# EXPECT: policy_violation
# RUNTIME: policy_violation
import socket

def generate_signals(data, params):
    s = socket.create_connection(("127.0.0.1", LISTENER_PORT))
    s.sendall(b"hi")
    return data.close > 0, data.close < 0
