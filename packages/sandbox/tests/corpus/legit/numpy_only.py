# LEGIT: numpy-only implementation with np.where, np.convolve and arrays
import numpy as np


def generate_signals(data, params):
    c = data.close.to_numpy()
    w = 10
    kernel = np.ones(w) / w
    ma = np.convolve(c, kernel, mode="full")[: len(c)]
    ma[: w - 1] = np.nan
    above = np.where(np.isnan(ma), False, c > ma)
    entries = np.logical_and(above, ~np.roll(above, 1))
    entries[0] = False
    exits = np.logical_and(~above, np.roll(above, 1))
    exits[0] = False
    return entries, exits
