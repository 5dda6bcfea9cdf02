# ATTACK: importlib.import_module to load subprocess
# EXPECT: policy_violation
# RUNTIME: policy_violation
import importlib

def generate_signals(data, params):
    sp = importlib.import_module("subprocess")
    sp.run(["touch", "SENTINEL_PATH"])
    return data.close > 0, data.close < 0
