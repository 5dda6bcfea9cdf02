"""Dev-only test doubles that speak the real wire formats of the outside world.

Everything here exists so that the real client libraries (ib_async, ccxt, the LLM and data
SDKs) run their own code against a local server in tests and in the offline demo stack. No
service's `src/` imports this package at runtime; it is installed only in the dev group.
"""
