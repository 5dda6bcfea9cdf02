# LEGIT: locals named like forbidden builtins (open, type, id) are fine to bind and use
# PARAMS: {"type": "long"}
def generate_signals(data, params):
    open, close = data.open, data.close
    type = params.get("type", "long")
    gap = (open - close.shift(1)) / close.shift(1)
    if type == "long":
        entries = gap < -0.01
    else:
        entries = gap > 0.01
    exits = close > open
    return entries.fillna(False), exits
