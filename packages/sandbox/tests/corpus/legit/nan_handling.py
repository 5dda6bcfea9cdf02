# LEGIT: explicit NaN handling with np.nan, np.isnan and nan_to_num
import numpy as np


def generate_signals(data, params):
    ret = data.close.pct_change().to_numpy()
    ret = np.where(np.isnan(ret), 0.0, ret)
    cum = np.cumsum(ret)
    mean = np.nanmean(cum)
    entries = cum > mean
    exits = np.nan_to_num(cum, nan=0.0) < mean
    return entries, exits
