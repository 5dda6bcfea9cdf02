# LEGIT: EMA trend following with ewm
def generate_signals(data, params):
    ema = data.close.ewm(span=params.get("span", 20), adjust=False).mean()
    entries = data.close > ema
    exits = data.close < ema
    return entries, exits
