"""The ccxt adapter with real ccxt against the fake Binance (vt_fakes.exchange): filters,
idempotency, time sync, rate limits, unknown outcomes, credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from vt_fakes.exchange import FakeExchange
from vt_trading.brokers.base import (
    BadCredentials,
    OrderRefused,
    SubmissionUnknown,
    VenueOrder,
)
from vt_trading.brokers.ccxt_venue import CcxtBroker, CcxtConfig


class Sleeps:
    """Records the waits the adapter asks for instead of waiting (no timing in tests)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, s: float) -> None:
        self.waits.append(s)


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    f = FakeExchange()
    f.add_account("K", "S", {"USDT": Decimal(100_000), "BTC": Decimal("0.5")})
    f.add_account("W", "WS", {"USDT": Decimal(10)}, can_withdraw=True)
    await f.start()
    yield f
    await f.stop()


def config(fake: FakeExchange, key: str = "K", secret: str = "S") -> CcxtConfig:
    return CcxtConfig(
        exchange="binance",
        api_key=key,
        secret=secret,
        api_base_url=fake.url,
        enable_rate_limit=False,
        symbols=("BTC/USDT",),
    )


@pytest.fixture
async def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def broker(fake: FakeExchange, sleeps: Sleeps) -> AsyncIterator[CcxtBroker]:
    b = CcxtBroker(config(fake), sleep=sleeps)
    await b.connect()
    yield b
    await b.close()


def buy(
    coid: str, qty: str = "0.01", type_: str = "market", price: str | None = None
) -> VenueOrder:
    return VenueOrder(
        client_order_id=coid,
        symbol="BTC/USDT",
        side="buy",
        type=type_,  # type: ignore[arg-type]
        qty=Decimal(qty),
        limit_price=Decimal(price) if price else None,
    )


def posts(fake: FakeExchange) -> list[dict[str, str]]:
    return [p for m, path, p in fake.engine.requests if m == "POST" and path == "/api/v3/order"]


def test_config_never_prints_the_secret(fake: FakeExchange) -> None:
    assert "S" not in repr(config(fake, secret="S3cr3t")).replace("Ccxt", "").replace("sandbox", "")
    assert "S3cr3t" not in repr(config(fake, secret="S3cr3t"))


async def test_filters_refuse_with_a_reason_before_sending(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    with pytest.raises(OrderRefused, match=r"LOT_SIZE: 0\.012345 BTC is not a multiple .*0\.00001"):
        await broker.place(buy("f1", "0.012345"))
    with pytest.raises(
        OrderRefused, match=r"NOTIONAL: .* 4\.2 USDT, below the minimum order value 5 USDT"
    ):
        await broker.place(buy("f2", "0.0001"))
    with pytest.raises(
        OrderRefused, match=r"PRICE_FILTER: 41000\.005 is not a multiple of the tick 0\.01"
    ):
        await broker.place(buy("f3", "0.01", "limit", "41000.005"))
    with pytest.raises(OrderRefused, match="no spot market DOGE/USDT"):
        await broker.place(VenueOrder("f4", "DOGE/USDT", "buy", "market", Decimal(1)))
    with pytest.raises(OrderRefused, match="stop order"):
        await broker.place(buy("f5", "0.01", "stop"))
    assert posts(fake) == []
    conformed = broker.conform(buy("f6", "0.012345", "limit", "41000.005"))
    assert conformed.qty == Decimal("0.01234")
    assert conformed.limit_price == Decimal("41000.00")


async def test_exchange_refusal_is_order_refused(broker: CcxtBroker, fake: FakeExchange) -> None:
    with pytest.raises(OrderRefused, match="insufficient balance"):
        await broker.place(buy("big", "5"))
    assert "big" not in [o.client_order_id for o in fake.engine.orders]


async def test_place_is_idempotent_by_client_order_id(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    first = await broker.place(buy("dup-1"))
    again = await broker.place(buy("dup-1"))
    assert not first.duplicate
    assert again.duplicate
    assert again.broker_order_id == first.broker_order_id
    assert len(posts(fake)) == 1
    assert posts(fake)[0]["newClientOrderId"] == "dup-1"


async def test_unknown_outcome_is_never_resent(broker: CcxtBroker, fake: FakeExchange) -> None:
    fake.script("accept_then_error", path="/api/v3/order", method="POST")
    with pytest.raises(SubmissionUnknown, match="reconciliation"):
        await broker.place(buy("u-1"))
    assert len(posts(fake)) == 1
    status = await broker.order_status("u-1")
    assert status is not None
    assert status.filled_qty == Decimal("0.01")
    # a 5xx on submission is just as ambiguous
    fake.script("server_error", path="/api/v3/order", method="POST")
    with pytest.raises(SubmissionUnknown):
        await broker.place(buy("u-2"))
    assert len(posts(fake)) == 2
    assert await broker.order_status("u-2") is None  # the exchange never had it


async def test_reads_retry_5xx_and_honour_retry_after(
    broker: CcxtBroker, fake: FakeExchange, sleeps: Sleeps
) -> None:
    fake.script("server_error", path="/api/v3/account", times=2)
    assert (await broker.balances()).cash == Decimal(100_000)
    fake.script("rate_limit", path="/api/v3/account", retry_after=7)
    assert (await broker.balances()).cash == Decimal(100_000)
    assert ("fetch_balance", "rate_limit", 7.0) in broker.retries
    assert any(w > 6 for w in sleeps.waits)


async def test_rate_limited_submission_waits_and_sends_once(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    fake.script("rate_limit", path="/api/v3/order", method="POST", retry_after=2)
    res = await broker.place(buy("rl-1"))
    assert not res.duplicate
    assert len(posts(fake)) == 2  # the first was refused with 429 before processing
    assert len([o for o in fake.engine.orders if o.client_order_id == "rl-1"]) == 1


async def test_clock_skew_is_synced_away(fake: FakeExchange, sleeps: Sleeps) -> None:
    fake.engine.clock_offset_ms = -40_000  # exchange clock 40 s behind: beyond recvWindow
    b = CcxtBroker(config(fake), sleep=sleeps)
    try:
        await b.connect()
        assert (await b.balances()).cash == Decimal(100_000)
        assert b.retries == []
        fake.engine.clock_offset_ms = +40_000  # the exchange jumps: one -1021, resync, retry
        await b.place(buy("t-1"))
        assert ("fetch_order", "timestamp", 0.0) in b.retries
        fake.script("timestamp", path="/api/v3/order", method="POST")  # -1021 on the order
        await b.place(buy("t-2"))
        assert ("create_order", "timestamp", 0.0) in b.retries
        for coid in ("t-1", "t-2"):
            assert len([o for o in fake.engine.orders if o.client_order_id == coid]) == 1
        assert abs((await b.server_time()).timestamp() * 1000 - fake.engine.now_ms()) < 60_000
    finally:
        await b.close()


async def test_partial_fills_and_watermark(broker: CcxtBroker, fake: FakeExchange) -> None:
    fake.engine.fill_fraction["BTCUSDT"] = Decimal("0.3")
    await broker.place(buy("p-1", "0.01"))
    page = await broker.executions_since(None)
    assert [(e.client_order_id, e.qty) for e in page.executions] == [("p-1", Decimal("0.003"))]
    assert [o.client_order_id for o in await broker.open_orders()] == ["p-1"]
    again = await broker.executions_since(page.watermark)
    assert again.executions == []
    assert again.watermark == page.watermark
    fake.engine.release("BTCUSDT")
    rest = await broker.executions_since(page.watermark)
    assert [(e.client_order_id, e.qty) for e in rest.executions] == [("p-1", Decimal("0.007"))]
    assert rest.executions[0].fees == Decimal("0.294")
    assert rest.executions[0].fee_currency == "USDT"
    pos = await broker.positions()
    assert pos == {"BTC/USDT": Decimal("0.51")}
    bal = await broker.balances()
    assert bal.equity == bal.cash + Decimal("0.51") * Decimal(42000)


async def test_cancel(broker: CcxtBroker, fake: FakeExchange) -> None:
    await broker.place(buy("c-1", "0.01", "limit", "40000"))
    assert await broker.cancel("c-1") is True
    assert await broker.cancel("c-1") is False
    assert await broker.cancel("never-sent") is False


async def test_credentials_check(fake: FakeExchange) -> None:
    for key, secret, msg in (
        ("K", "wrong", "Signature for this request is not valid"),
        ("nope", "S", "Invalid API-key"),
    ):
        b = CcxtBroker(config(fake, key, secret))
        try:
            await b.connect()
            with pytest.raises(BadCredentials, match=msg):
                await b.verify_credentials()
        finally:
            await b.close()
    w = CcxtBroker(config(fake, "W", "WS"))
    try:
        await w.connect()
        with pytest.raises(BadCredentials, match="can withdraw"):
            await w.verify_credentials()
    finally:
        await w.close()


async def test_market_data_for_price_bands_and_signals(broker: CcxtBroker) -> None:
    from datetime import UTC, datetime

    bid, ask = await broker.top_of_book("binance:BTC/USDT")
    assert bid < Decimal(42000) < ask
    assert await broker.last_price("BTC/USDT") == Decimal(42000)
    bars = await broker.ohlcv("BTC/USDT", "1d", datetime(2024, 1, 1, tzinfo=UTC), 3)
    assert [b[0].day for b in bars] == [1, 2, 3]
    assert all(b[3] <= b[4] <= b[2] for b in bars)  # low <= close <= high


async def test_time_cursor_for_exchanges_without_trade_id_paging(
    fake: FakeExchange, sleeps: Sleeps
) -> None:
    from dataclasses import replace

    b = CcxtBroker(replace(config(fake), trade_cursor="time"), sleep=sleeps)
    try:
        await b.connect()
        await b.place(buy("tc-1"))
        await b.place(buy("tc-2"))
        page = await b.executions_since(None)
        assert [e.client_order_id for e in page.executions] == ["tc-1", "tc-2"]
        assert (await b.executions_since(page.watermark)).executions == []
        await b.place(buy("tc-3"))
        nxt = await b.executions_since(page.watermark)
        assert [e.client_order_id for e in nxt.executions] == ["tc-3"]
        assert all(
            "startTime" in p or "fromId" not in p
            for m, path, p in fake.engine.requests
            if path == "/api/v3/myTrades"
        )
    finally:
        await b.close()
