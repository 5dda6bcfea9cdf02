# LEGIT: volume spike confirmation with where and mask
def generate_signals(data, params):
    vol_ma = data.volume.rolling(20).mean()
    spike = data.volume > 1.5 * vol_ma
    up = data.close > data.open
    entries = (spike & up).fillna(False)
    exits = data.close.where(data.close < data.open, 0.0) > 0
    return entries, exits
