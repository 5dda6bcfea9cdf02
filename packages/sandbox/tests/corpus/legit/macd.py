# LEGIT: MACD signal-line cross
def generate_signals(data, params):
    fast = data.close.ewm(span=12, adjust=False).mean()
    slow = data.close.ewm(span=26, adjust=False).mean()
    macd = fast - slow
    signal = macd.ewm(span=9, adjust=False).mean()
    above = macd > signal
    entries = above & ~above.shift(1, fill_value=False)
    exits = ~above & above.shift(1, fill_value=False)
    return entries, exits
