"""The fake exchange against the real ccxt binance class (only `urls['api']` overridden)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from vt_fakes.exchange import FakeExchange


def _rewrite(urls: Any, base: str) -> Any:
    if isinstance(urls, dict):
        return {k: _rewrite(v, base) for k, v in urls.items()}
    if isinstance(urls, str) and urls.startswith("http"):
        from urllib.parse import urlsplit

        return base + urlsplit(urls).path
    return urls


def client(url: str, key: str = "K", secret: str = "S", **options: Any) -> Any:
    ex = ccxt.binance(
        {
            "apiKey": key,
            "secret": secret,
            "enableRateLimit": False,
            "options": {
                "fetchCurrencies": False,
                "fetchMargins": False,
                "fetchMarkets": {"types": ["spot"]},
                "warnOnFetchOpenOrdersWithoutSymbol": False,
                **options,
            },
        }
    )
    ex.urls["api"] = _rewrite(ex.urls["api"], url)
    return ex


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    f = FakeExchange()
    f.add_account("K", "S", {"USDT": Decimal(100_000), "BTC": Decimal("0.5")})
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
async def ex(fake: FakeExchange) -> AsyncIterator[Any]:
    e = client(fake.url)
    yield e
    await e.close()


async def test_markets_carry_binance_filters(ex: Any) -> None:
    markets = await ex.load_markets()
    btc = markets["BTC/USDT"]
    assert btc["precision"]["amount"] == 0.00001
    assert btc["precision"]["price"] == 0.01
    assert btc["limits"]["cost"]["min"] == 5.0
    assert btc["limits"]["amount"]["min"] == 0.00001


async def test_market_order_fills_and_shows_in_trades_and_balance(
    ex: Any, fake: FakeExchange
) -> None:
    await ex.load_markets()
    o = await ex.create_order(
        "BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "p-dep1-1-0"}
    )
    assert o["clientOrderId"] == "p-dep1-1-0"
    assert o["status"] == "closed"
    assert o["filled"] == 0.01
    trades = await ex.fetch_my_trades("BTC/USDT")
    assert len(trades) == 1
    assert trades[0]["price"] == 42000.0
    assert trades[0]["fee"]["currency"] == "USDT"
    bal = await ex.fetch_balance()
    assert bal["BTC"]["total"] == 0.51
    assert bal["USDT"]["total"] == pytest.approx(100_000 - 420 - 0.42)


async def test_partial_fill_then_delayed_rest(ex: Any, fake: FakeExchange) -> None:
    await ex.load_markets()
    fake.engine.fill_fraction["BTCUSDT"] = Decimal("0.4")
    o = await ex.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "c1"})
    assert o["filled"] == 0.004
    assert o["status"] == "open"
    assert [x["clientOrderId"] for x in await ex.fetch_open_orders("BTC/USDT")] == ["c1"]
    fake.engine.release("BTCUSDT")
    got = await ex.fetch_order(None, "BTC/USDT", {"origClientOrderId": "c1"})
    assert got["status"] == "closed"
    assert got["filled"] == 0.01
    assert len(await ex.fetch_my_trades("BTC/USDT")) == 2


async def test_limit_rests_and_cancels_by_client_id(ex: Any, fake: FakeExchange) -> None:
    await ex.load_markets()
    await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"clientOrderId": "L1"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"clientOrderId": "L1"})
    c = await ex.cancel_order(None, "BTC/USDT", {"origClientOrderId": "L1"})
    assert c["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        await ex.cancel_order(None, "BTC/USDT", {"origClientOrderId": "L1"})
    with pytest.raises(ccxt.OrderNotFound):
        await ex.fetch_order(None, "BTC/USDT", {"origClientOrderId": "nope"})
    bal = await ex.fetch_balance()
    assert bal["USDT"]["used"] == 0


async def test_exchange_filters_refuse(ex: Any, fake: FakeExchange) -> None:
    await ex.load_markets()
    # below min notional: ccxt passes it, the exchange refuses
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        await ex.create_order("BTC/USDT", "market", "buy", 0.0001)


async def test_bad_secret_and_bad_key(fake: FakeExchange) -> None:
    for key, secret, err in (("K", "wrong", "Signature"), ("nope", "S", "Invalid API-key")):
        e = client(fake.url, key, secret)
        try:
            with pytest.raises(ccxt.AuthenticationError, match=err):
                await e.fetch_balance()
        finally:
            await e.close()


async def test_clock_skew_gives_1021_and_time_sync_fixes_it(fake: FakeExchange) -> None:
    fake.engine.clock_offset_ms = -30_000  # the exchange clock is 30 s behind ours
    e = client(fake.url)
    try:
        with pytest.raises(ccxt.InvalidNonce, match="-1021"):
            await e.fetch_balance()
        await e.load_time_difference()
        bal = await e.fetch_balance()
        assert bal["USDT"]["free"] == 100_000
    finally:
        await e.close()


async def test_scripted_429_and_5xx(ex: Any, fake: FakeExchange) -> None:
    fake.script("rate_limit", path="/api/v3/account", retry_after=7)
    with pytest.raises(ccxt.DDoSProtection):
        await ex.fetch_balance()
    assert ex.last_response_headers["Retry-After"] == "7"
    fake.script("server_error", path="/api/v3/account")
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await ex.fetch_balance()
    assert (await ex.fetch_balance())["USDT"]["free"] == 100_000


async def test_accept_then_error_leaves_the_order_at_the_venue(ex: Any, fake: FakeExchange) -> None:
    await ex.load_markets()
    fake.script("accept_then_error", path="/api/v3/order", method="POST")
    with pytest.raises(ccxt.BaseError, match="-1007"):
        await ex.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "u1"})
    got = await ex.fetch_order(None, "BTC/USDT", {"origClientOrderId": "u1"})
    assert got["status"] == "closed"


async def test_public_market_data(ex: Any) -> None:
    t = await ex.fetch_ticker("BTC/USDT")
    assert t["last"] == 42000.0
    ob = await ex.fetch_order_book("BTC/USDT", 5)
    assert ob["bids"][0][0] < ob["asks"][0][0]
    bars = await ex.fetch_ohlcv("BTC/USDT", "1d", 1_704_067_200_000, 3)
    assert [b[0] for b in bars] == [1_704_067_200_000 + i * 86_400_000 for i in range(3)]
