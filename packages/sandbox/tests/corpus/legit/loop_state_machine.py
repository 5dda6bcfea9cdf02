# LEGIT: explicit position state machine in a loop with a stop loss
def generate_signals(data, params):
    close = data.close.values
    sma = data.close.rolling(20).mean().values
    n = len(close)
    entries = [False] * n
    exits = [False] * n
    in_pos = False
    entry_price = 0.0
    for i in range(n):
        if sma[i] != sma[i]:
            continue
        if not in_pos and close[i] > sma[i]:
            entries[i] = True
            in_pos = True
            entry_price = close[i]
        elif in_pos and (close[i] < sma[i] or close[i] < entry_price * 0.95):
            exits[i] = True
            in_pos = False
    return entries, exits
