# ATTACK: class with a metaclass to run code at class creation and reach type internals
# EXPECT: policy_violation
# RUNTIME: policy_violation|runtime_error
class Meta(type):
    def mro(cls):
        return [cls]

class Strategy(metaclass=Meta):
    pass

def generate_signals(data, params):
    return data.close > 0, data.close < 0
