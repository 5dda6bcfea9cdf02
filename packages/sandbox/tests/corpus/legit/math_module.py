# LEGIT: math module and scalar arithmetic, int 0/1 output arrays
import math

import numpy as np


def generate_signals(data, params):
    k = math.sqrt(252)
    ret = np.log(data.close / data.close.shift(1))
    ann_vol = ret.rolling(21).std() * k
    entries = (ann_vol < 0.2).astype(int)
    exits = (ann_vol > 0.3).astype(int)
    return entries, exits
