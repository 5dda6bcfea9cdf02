# LEGIT: the project's indicator library (vt_engine.indicators) in all three import forms
import vt_engine.indicators as ind
from vt_engine import indicators
from vt_engine.indicators import crosses_above, crosses_below


def generate_signals(data, params):
    fast = ind.sma(data.close, 10)
    slow = indicators.ema(data.close, 30)
    r = ind.rsi(data.close, 14)
    entries = crosses_above(fast, slow) & (r < 70)
    exits = crosses_below(fast, slow)
    return entries.fillna(False), exits.fillna(False)
