# ATTACK: pandas indexer .obj / rolling .obj back-references
# EXPECT: policy_violation
# RUNTIME: policy_violation
def generate_signals(data, params):
    frame = data.close.rolling(3).obj
    return data.close > 0, data.close < 0
