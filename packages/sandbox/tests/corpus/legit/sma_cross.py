# LEGIT: SMA crossover with params
# PARAMS: {"fast": 10, "slow": 30}
import pandas as pd


def generate_signals(data, params):
    fast = data["close"].rolling(params.get("fast", 10)).mean()
    slow = data["close"].rolling(params.get("slow", 30)).mean()
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    return entries.fillna(False), exits.fillna(False)
