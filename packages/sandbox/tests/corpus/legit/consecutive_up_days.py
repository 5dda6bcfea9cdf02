# LEGIT: consecutive up days counted with a Python loop over a range
def generate_signals(data, params):
    closes = data.close.to_numpy()
    n = len(closes)
    streak = [0] * n
    for i in range(1, n):
        if closes[i] > closes[i - 1]:
            streak[i] = streak[i - 1] + 1
        else:
            streak[i] = 0
    entries = [s >= 3 for s in streak]
    exits = [s == 0 for s in streak]
    return entries, exits
