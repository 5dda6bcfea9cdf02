# LEGIT: dict output with short entries and exits
import pandas as pd


def generate_signals(data, params):
    sma = data.close.rolling(50).mean()
    long_entries = (data.close > sma).fillna(False)
    long_exits = (data.close < sma).fillna(False)
    return {
        "entries": long_entries,
        "exits": long_exits,
        "short_entries": long_exits,
        "short_exits": long_entries,
    }
