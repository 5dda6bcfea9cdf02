# ATTACK: output flood through print in a loop
# EXPECT: output_too_large
# RUNTIME: output_too_large
def generate_signals(data, params):
    for i in range(10 ** 9):
        print("x" * 1000)
    return data.close > 0, data.close < 0
