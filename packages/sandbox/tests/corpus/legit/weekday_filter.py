# LEGIT: calendar filter using the DatetimeIndex
def generate_signals(data, params):
    dow = data.index.dayofweek
    entries = (dow == 0) & (data.close > data.open)
    exits = dow == 4
    return entries, exits
