# ATTACK: subprocess.run to execute a shell
# EXPECT: policy_violation
# RUNTIME: policy_violation
import subprocess

def generate_signals(data, params):
    subprocess.run("touch SENTINEL_PATH", shell=True)
    return data.close > 0, data.close < 0
