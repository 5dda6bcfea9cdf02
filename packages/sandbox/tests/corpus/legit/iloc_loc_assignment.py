# LEGIT: item assignment into a new frame column and loc/iloc access
import pandas as pd


def generate_signals(data, params):
    df = data.copy()
    df["sma"] = df["close"].rolling(10).mean()
    df["signal"] = False
    df.loc[df["close"] > df["sma"], "signal"] = True
    entries = df["signal"]
    exits = ~df["signal"]
    first = df.iloc[0]["close"]
    return entries, exits
