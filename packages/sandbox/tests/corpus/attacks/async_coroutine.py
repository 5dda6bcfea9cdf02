# ATTACK: async def / await to obtain a coroutine and its cr_frame
# EXPECT: policy_violation
# RUNTIME: policy_violation
async def inner():
    return 1

def generate_signals(data, params):
    c = inner()
    fr = c.cr_frame
    return data.close > 0, data.close < 0
