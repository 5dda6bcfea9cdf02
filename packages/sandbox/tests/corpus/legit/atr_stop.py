# LEGIT: ATR-based breakout using concat and max across columns
import pandas as pd


def generate_signals(data, params):
    prev_close = data.close.shift(1)
    tr = pd.concat(
        [data.high - data.low, (data.high - prev_close).abs(), (data.low - prev_close).abs()],
        axis=1,
    ).max(axis=1)
    atr = tr.rolling(14).mean()
    entries = data.close > data.close.shift(1) + 1.5 * atr
    exits = data.close < data.close.shift(1) - 1.0 * atr
    return entries.fillna(False), exits.fillna(False)
