# LEGIT: several small helpers, lambdas, comprehensions, sorted and dict params
def sma(series, n):
    return series.rolling(n).mean()


def crossed_above(a, b):
    return (a > b) & (a.shift(1) <= b.shift(1))


def generate_signals(data, params):
    windows = sorted([params.get("a", 5), params.get("b", 15)])
    fast, slow = [sma(data.close, w) for w in windows]
    pick = lambda s: s.fillna(False)
    entries = pick(crossed_above(fast, slow))
    exits = pick(crossed_above(slow, fast))
    print("windows", windows)
    return entries, exits
