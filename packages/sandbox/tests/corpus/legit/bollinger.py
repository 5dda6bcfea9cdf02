# LEGIT: Bollinger band breakout / reversion
import numpy as np


def generate_signals(data, params):
    n = 20
    mid = data.close.rolling(n).mean()
    sd = data.close.rolling(n).std()
    upper = mid + 2 * sd
    lower = mid - 2 * sd
    entries = data.close < lower
    exits = data.close > mid
    return entries.fillna(False), exits.fillna(False)
