# LEGIT: momentum with a volatility filter using pct_change and std
def generate_signals(data, params):
    ret = data.close.pct_change()
    vol = ret.rolling(20).std()
    calm = vol < vol.rolling(100).median()
    mom = data.close > data.close.shift(20)
    entries = (calm & mom).fillna(False)
    exits = (~mom).fillna(False)
    return entries, exits
