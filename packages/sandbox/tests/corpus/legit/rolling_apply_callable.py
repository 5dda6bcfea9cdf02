# LEGIT: rolling apply with a user-defined function (raw=True)
import numpy as np


def slope(window):
    x = np.arange(len(window))
    return np.polyfit(x, window, 1)[0]


def generate_signals(data, params):
    s = data.close.rolling(10).apply(slope, raw=True)
    return (s > 0).fillna(False), (s < 0).fillna(False)
