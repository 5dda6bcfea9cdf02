# LEGIT: running maximum with np.maximum.accumulate and drawdown exit
import numpy as np


def generate_signals(data, params):
    c = data.close.to_numpy()
    peak = np.maximum.accumulate(c)
    drawdown = c / peak - 1.0
    entries = drawdown < -0.1
    exits = drawdown > -0.02
    return entries, exits
