"""A fake crypto exchange speaking Binance spot REST or OKX v5 REST with real HMAC signatures,
exchange filters, partial fills and scripted faults, for ccxt's own code to run against. Both
wire formats share one engine (`engine.py`).

    uv run python -m vt_fakes.exchange --port 8910 --api-key K --api-secret S
    uv run python -m vt_fakes.exchange --wire okx --port 8911 --api-key K --api-secret S --passphrase P
"""

from vt_fakes.exchange.engine import Engine, ExchangeRefusal, Fault, Market
from vt_fakes.exchange.server import FakeExchange

__all__ = ["Engine", "ExchangeRefusal", "FakeExchange", "Fault", "Market"]
