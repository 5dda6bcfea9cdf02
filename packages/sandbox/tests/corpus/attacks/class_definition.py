# ATTACK: plain class definition to get a type object with attribute hooks
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
class Signals:
    def get(self, key):
        return key

def generate_signals(data, params):
    s = Signals()
    return data.close > 0, data.close < 0
