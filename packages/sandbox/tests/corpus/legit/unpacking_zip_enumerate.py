# LEGIT: tuple unpacking, zip, enumerate, min/max/abs/round builtins
def generate_signals(data, params):
    opens = data.open.tolist()
    closes = data.close.tolist()
    entries = []
    exits = []
    for i, (o, c) in enumerate(zip(opens, closes)):
        body = round(abs(c - o) / max(o, 1e-9), 6)
        entries.append(c > o and body > 0.004)
        exits.append(c < o and body > 0.004)
    total = sum([1 for e in entries if e])
    return entries, exits
