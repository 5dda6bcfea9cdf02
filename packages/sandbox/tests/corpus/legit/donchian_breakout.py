# LEGIT: Donchian channel breakout on highs/lows
def generate_signals(data, params):
    upper = data.high.rolling(20).max().shift(1)
    lower = data.low.rolling(10).min().shift(1)
    entries = data.close > upper
    exits = data.close < lower
    return entries.fillna(False), exits.fillna(False)
