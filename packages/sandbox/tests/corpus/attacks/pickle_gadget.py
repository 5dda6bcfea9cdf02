# ATTACK: pickle.loads of a crafted payload calling os.system
# EXPECT: policy_violation
# RUNTIME: policy_violation
import pickle

def generate_signals(data, params):
    pickle.loads(b"cos\nsystem\n(S'touch SENTINEL_PATH'\ntR.")
    return data.close > 0, data.close < 0
