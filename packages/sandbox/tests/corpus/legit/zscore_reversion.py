# LEGIT: z-score mean reversion
def generate_signals(data, params):
    window = params.get("window", 30)
    mean = data.close.rolling(window).mean()
    std = data.close.rolling(window).std()
    z = (data.close - mean) / std
    return (z < -1.5).fillna(False), (z > 0).fillna(False)
