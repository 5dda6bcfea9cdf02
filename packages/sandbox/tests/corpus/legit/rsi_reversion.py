# LEGIT: RSI mean reversion with a helper function
# PARAMS: {"period": 14, "low": 30, "high": 70}
def rsi(close, period):
    delta = close.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / period, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / period, adjust=False).mean()
    rs = gain / loss
    return 100 - 100 / (1 + rs)


def generate_signals(data, params):
    r = rsi(data.close, params["period"])
    return (r < params["low"]).fillna(False), (r > params["high"]).fillna(False)
