# LEGIT: rolling quantile regime filter with between and isna handling
def generate_signals(data, params):
    q_low = data.close.rolling(60).quantile(0.2)
    q_high = data.close.rolling(60).quantile(0.8)
    entries = data.close.between(q_low, q_high) & q_low.notna()
    exits = data.close > q_high
    return entries, exits.fillna(False)
