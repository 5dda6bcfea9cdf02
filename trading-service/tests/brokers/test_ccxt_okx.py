"""The ccxt adapter with real ccxt (`okx` class) against the fake OKX v5 REST front
(vt_fakes.exchange, wire "okx"): signing with a passphrase, demo trading, clOrdId mapping,
fills by bill id, OKX error codes, restart without a second order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest

from vt_fakes.exchange import FakeExchange
from vt_trading.brokers import ccxt_okx
from vt_trading.brokers.base import (
    BadCredentials,
    BrokerUnavailable,
    OrderRefused,
    SubmissionUnknown,
    VenueOrder,
)
from vt_trading.brokers.ccxt_venue import CcxtBroker, CcxtConfig, config_from_credentials

ORDER_PATH = "/api/v5/trade/order"
COID = "p0123456789abcdef-42-0"  # the shape of the planner's ids (ledger.planner)


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, s: float) -> None:
        self.waits.append(s)


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    f = FakeExchange(wire="okx")
    f.add_account("K", "S", {"USDT": Decimal(100_000), "BTC": Decimal("0.5")}, passphrase="P")
    f.add_account("W", "WS", {"USDT": Decimal(10)}, passphrase="WP", can_withdraw=True)
    f.add_account("D", "DS", {"USDT": Decimal(1000)}, passphrase="DP", demo=True)
    await f.start()
    yield f
    await f.stop()


def config(
    fake: FakeExchange,
    key: str = "K",
    secret: str = "S",
    password: str | None = "P",
    sandbox: bool = False,
) -> CcxtConfig:
    return CcxtConfig(
        exchange="okx",
        api_key=key,
        secret=secret,
        password=password,
        sandbox=sandbox,
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
    return [p for m, path, p in fake.engine.requests if m == "POST" and path == ORDER_PATH]


def at_venue(fake: FakeExchange, clordid: str) -> int:
    return len([o for o in fake.engine.orders if o.client_order_id == clordid])


# --- client order ids ------------------------------------------------------------------------


def test_clordid_mapping_is_deterministic_reversible_and_collision_safe() -> None:
    import re

    ok = re.compile(r"^[A-Za-z0-9]{1,32}$")
    assert ccxt_okx.to_clordid(COID) == "p0123456789abcdefZ42Z0"
    assert ccxt_okx.from_clordid("p0123456789abcdefZ42Z0") == COID
    longest = "p0123456789abcdef-12345678901-12345"  # 36 characters: hashed
    ids = [COID, longest, "k-1", "kZ1", "K-1", "m" + "a" * 20, "x" * 33, "a_b", "a.b"]
    mapped = [ccxt_okx.to_clordid(i) for i in ids]
    assert all(ok.match(m) for m in mapped), mapped
    assert len(set(mapped)) == len(ids)  # "kZ1" (capital) is hashed, never confused with "k-1"
    assert mapped == [ccxt_okx.to_clordid(i) for i in ids]  # the same every time
    assert ccxt_okx.to_clordid(longest).startswith("H")
    assert ccxt_okx.from_clordid(ccxt_okx.to_clordid(longest)) is None
    assert ccxt_okx.from_clordid("") is None


# --- key test ------------------------------------------------------------------------------


def test_passphrase_is_required_and_never_printed() -> None:
    with pytest.raises(BadCredentials, match="passphrase"):
        config_from_credentials(
            "ccxt:okx",
            {"api_key": "K", "secret": "S"},
            environment="live",
            quote="USDT",
            api_base_url=None,
        )
    cfg = config_from_credentials(
        "ccxt:okx",
        {"api_key": "K", "secret": "S3cr3t", "passphrase": "Pa55phrase"},
        environment="paper",
        quote="USDT",
        api_base_url=None,
    )
    assert cfg.password == "Pa55phrase"
    assert cfg.sandbox
    assert "Pa55phrase" not in repr(cfg)
    assert "S3cr3t" not in repr(cfg)
    # Binance has no passphrase
    config_from_credentials(
        "ccxt:binance",
        {"api_key": "K", "secret": "S"},
        environment="live",
        quote="USDT",
        api_base_url=None,
    )


async def test_credentials_check(fake: FakeExchange) -> None:
    cases = [
        (config(fake), None),
        (config(fake, secret="wrong"), r"OKX 50113: Invalid Sign \(the secret does not match"),
        (config(fake, key="nope"), "OKX 50111: Invalid OK-ACCESS-KEY"),
        (config(fake, password="wrong"), "OKX 50105: .*PASSPHRASE.* incorrect"),
        (config(fake, "W", "WS", "WP"), "can withdraw"),
        # a demo-trading key used live, and a live key on demo trading
        (config(fake, "D", "DS", "DP"), "OKX 50101: .*demo-trading keys work only in the paper"),
        (config(fake, sandbox=True), "OKX 50101"),
        (config(fake, "D", "DS", "DP", sandbox=True), None),
    ]
    for cfg, complaint in cases:
        b = CcxtBroker(cfg)
        try:
            await b.connect()
            if complaint is None:
                info = await b.verify_credentials()
                assert info == {"exchange": "okx", "withdraw_enabled": False}
            else:
                with pytest.raises(BadCredentials, match=complaint):
                    await b.verify_credentials()
        finally:
            await b.close()
    demo = [
        (path, p)
        for m, path, p in fake.engine.requests
        if path == "/api/v5/account/balance" and m == "GET"
    ]
    assert demo  # the key test is a balance read


async def test_demo_trading_sends_the_simulated_header(fake: FakeExchange) -> None:
    b = CcxtBroker(config(fake, "D", "DS", "DP", sandbox=True))
    try:
        await b.connect()
        assert b.exchange.headers.get("x-simulated-trading") == "1"
        res = await b.place(buy(COID))
        assert not res.duplicate
        assert (await b.balances()).positions == {"BTC/USDT": Decimal("0.01")}
    finally:
        await b.close()


# --- orders ----------------------------------------------------------------------------------


async def test_filters_refuse_with_a_reason_before_sending(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    with pytest.raises(OrderRefused, match=r"LOT_SIZE: 0\.012345 BTC is not a multiple .*0\.00001"):
        await broker.place(buy("f-1", "0.012345"))
    with pytest.raises(OrderRefused, match=r"LOT_SIZE: 0\.000001 BTC is not a multiple"):
        await broker.place(buy("f-2", "0.000001"))
    with pytest.raises(
        OrderRefused, match=r"PRICE_FILTER: 41000\.005 is not a multiple of the tick 0\.01"
    ):
        await broker.place(buy("f-3", "0.01", "limit", "41000.005"))
    with pytest.raises(OrderRefused, match="above the maximum quantity 9000 BTC"):
        await broker.place(buy("f-4", "9001"))
    with pytest.raises(OrderRefused, match="no spot market DOGE/USDT"):
        await broker.place(VenueOrder("f-5", "DOGE/USDT", "buy", "market", Decimal(1)))
    assert posts(fake) == []
    conformed = broker.conform(buy("f-6", "0.012345", "limit", "41000.005"))
    assert conformed.qty == Decimal("0.01234")
    assert conformed.limit_price == Decimal("41000.00")


async def test_min_notional_refusal_is_the_exchange_s_complaint(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    """OKX publishes no minimum order value in its instruments (only `minSz`), so the exchange
    itself refuses: sCode 51020, as OrderRefused naming it; nothing works at the venue."""
    assert broker.rules("BTC/USDT").min_notional is None
    with pytest.raises(OrderRefused, match=r"OKX 51020: .*minimum order amount") as e:
        await broker.place(buy("mn-1", "0.0001"))  # 4.2 USDT
    assert e.value.code == "51020"
    assert len(posts(fake)) == 1
    assert await broker.open_orders() == []


async def test_exchange_refusals_are_order_refused_with_okx_codes(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    with pytest.raises(OrderRefused, match=r"OKX 51008: .*Insufficient") as e:
        await broker.place(buy("big-1", "5"))
    assert e.value.code == "51008"
    assert at_venue(fake, "bigZ1") == 0


async def test_place_sends_the_mapped_clordid_and_is_idempotent(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    first = await broker.place(buy(COID))
    again = await broker.place(buy(COID))
    assert not first.duplicate
    assert again.duplicate
    assert again.broker_order_id == first.broker_order_id
    sent = posts(fake)
    assert len(sent) == 1
    assert sent[0]["clOrdId"] == "p0123456789abcdefZ42Z0"
    assert sent[0]["tdMode"] == "cash"
    assert sent[0]["instId"] == "BTC-USDT"
    # a long id is hashed, still found again by it
    long_id = "p0123456789abcdef-12345678901-12345"
    await broker.place(buy(long_id))
    dup = await broker.place(buy(long_id))
    assert dup.duplicate
    assert at_venue(fake, ccxt_okx.to_clordid(long_id)) == 1


async def test_open_order_duplicate_answered_by_the_exchange(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    """If the order appears between our lookup and our send, OKX's 51016 (duplicated clOrdId)
    is answered as the duplicate it is."""
    fake.engine.place("K", "BTCUSDT", "BUY", "LIMIT", Decimal("0.01"), Decimal(40000), "raceZ1")
    broker_find = broker._find

    async def blind(coid: str, symbol: str) -> None:
        broker._find = broker_find  # type: ignore[method-assign]
        return None

    broker._find = blind  # type: ignore[method-assign,assignment]
    res = await broker.place(buy("race-1", "0.01", "limit", "40000"))
    assert res.duplicate
    assert at_venue(fake, "raceZ1") == 1


async def test_place_fill_watermark_positions_and_balances(
    broker: CcxtBroker, fake: FakeExchange
) -> None:
    start = await broker.executions_since(None)
    assert start.executions == []
    fake.engine.fill_fraction["BTCUSDT"] = Decimal("0.3")
    await broker.place(buy(COID, "0.01"))
    page = await broker.executions_since(start.watermark)
    assert [(e.client_order_id, e.qty) for e in page.executions] == [(COID, Decimal("0.003"))]
    assert [o.client_order_id for o in await broker.open_orders()] == [COID]
    again = await broker.executions_since(page.watermark)
    assert again.executions == []
    assert again.watermark == page.watermark
    fake.engine.release("BTCUSDT")
    rest = await broker.executions_since(page.watermark)
    assert [(e.client_order_id, e.qty) for e in rest.executions] == [(COID, Decimal("0.007"))]
    ex = rest.executions[0]
    assert ex.fees == Decimal("0.294")
    assert ex.fee_currency == "USDT"
    assert ex.execution_id.startswith("BTC/USDT#7000")  # the bill id
    assert ex.raw["billId"] == ex.execution_id.split("#")[1]
    assert ex.raw["clOrdId"] == "p0123456789abcdefZ42Z0"
    assert await broker.open_orders() == []
    # sell some: positions and balances follow the executions
    fake.engine.fill_fraction.pop("BTCUSDT")
    fake.engine.set_price("BTCUSDT", Decimal(43000))
    sell = VenueOrder("s-1", "BTC/USDT", "sell", "market", Decimal("0.2"))
    await broker.place(sell)
    nxt = await broker.executions_since(rest.watermark)
    assert [(e.client_order_id, e.side, e.qty, e.price) for e in nxt.executions] == [
        ("s-1", "sell", Decimal("0.2"), Decimal(43000))
    ]
    every = (await broker.executions_since(None)).executions
    spent = sum(
        ((e.qty * e.price if e.side == "buy" else -e.qty * e.price) + e.fees for e in every),
        Decimal(0),
    )
    bal = await broker.balances()
    assert bal.positions == {"BTC/USDT": Decimal("0.31")}
    assert bal.cash == Decimal(100_000) - spent
    assert bal.equity == bal.cash + Decimal("0.31") * Decimal(43000)


async def test_fills_watermark_pages_back_past_100(broker: CcxtBroker, fake: FakeExchange) -> None:
    """OKX answers 100 fills a page, newest first: the adapter reads back to its watermark."""
    mark = (await broker.executions_since(None)).watermark
    for i in range(130):
        fake.engine.place("K", "BTCUSDT", "BUY", "MARKET", Decimal("0.0002"), None, f"bulkZ{i}")
    page = await broker.executions_since(mark)
    assert [e.client_order_id for e in page.executions] == [f"bulk-{i}" for i in range(130)]
    assert len({e.execution_id for e in page.executions}) == 130
    assert (await broker.executions_since(page.watermark)).executions == []
    fills = [p for m, path, p in fake.engine.requests if path == "/api/v5/trade/fills-history"]
    assert any("after" in p for p in fills)
    assert all(p.get("instType") == "SPOT" for p in fills)


async def test_cancel(broker: CcxtBroker, fake: FakeExchange) -> None:
    await broker.place(buy("c-1", "0.01", "limit", "40000"))
    assert [o.client_order_id for o in await broker.open_orders()] == ["c-1"]
    assert await broker.cancel("c-1") is True
    assert await broker.open_orders() == []
    assert await broker.cancel("c-1") is False  # 51401: already cancelled
    assert await broker.cancel("never-sent") is False
    await broker.place(buy("c-2", "0.01"))  # filled at once
    assert await broker.cancel("c-2") is False  # 51402: already filled
    cancels = [p for m, path, p in fake.engine.requests if path == "/api/v5/trade/cancel-order"]
    assert cancels[0] == {"instId": "BTC-USDT", "clOrdId": "cZ1"}


async def test_crash_after_send_restart_finds_the_order_and_never_resends(
    fake: FakeExchange, sleeps: Sleeps
) -> None:
    """The order reached OKX but the answer was lost (50004 after processing); the process dies.
    A new adapter (nothing in memory) finds the order by our client order id, maps its fills
    back to our id, and a repeated placement is answered as a duplicate: one order, one POST."""
    first = CcxtBroker(config(fake), sleep=sleeps)
    await first.connect()
    fake.script("accept_then_error", path=ORDER_PATH, method="POST")
    with pytest.raises(SubmissionUnknown, match="reconciliation"):
        await first.place(buy(COID))
    await first.close()  # the crash: the adapter's memory is gone

    second = CcxtBroker(config(fake), sleep=sleeps)
    try:
        await second.connect()
        status = await second.order_status(COID, "BTC/USDT")
        assert status is not None
        assert status.client_order_id == COID
        assert status.filled_qty == Decimal("0.01")
        again = await second.place(buy(COID))
        assert again.duplicate
        assert again.broker_order_id == status.broker_order_id
        assert len(posts(fake)) == 1
        assert at_venue(fake, "p0123456789abcdefZ42Z0") == 1
        fills = (await second.executions_since(None)).executions
        assert [(e.client_order_id, e.qty) for e in fills] == [(COID, Decimal("0.01"))]
    finally:
        await second.close()
    # a 5xx on submission: unknown too; the exchange never had it
    third = CcxtBroker(config(fake), sleep=sleeps)
    try:
        await third.connect()
        fake.script("server_error", path=ORDER_PATH, method="POST")
        with pytest.raises(SubmissionUnknown):
            await third.place(buy("u-2"))
        assert await third.order_status("u-2", "BTC/USDT") is None
    finally:
        await third.close()


async def test_rate_limit_timestamp_and_5xx(
    broker: CcxtBroker, fake: FakeExchange, sleeps: Sleeps
) -> None:
    fake.script("server_error", path="/api/v5/account/balance", times=2)
    assert (await broker.balances()).cash == Decimal(100_000)
    fake.script("rate_limit", path="/api/v5/account/balance", retry_after=7)
    assert (await broker.balances()).cash == Decimal(100_000)
    assert ("fetch_balance", "rate_limit", 7.0) in broker.retries
    assert any(w > 6 for w in sleeps.waits)
    fake.script("rate_limit", path=ORDER_PATH, method="POST", retry_after=2)
    await broker.place(buy("rl-1"))
    assert len(posts(fake)) == 2  # the 429 was not processed; one order
    assert at_venue(fake, "rlZ1") == 1
    fake.script("timestamp", path=ORDER_PATH, method="POST")  # 50102
    await broker.place(buy("ts-1"))
    assert ("create_order", "timestamp", 0.0) in broker.retries
    assert at_venue(fake, "tsZ1") == 1
    fake.script("server_error", path="/api/v5/account/balance", times=9)
    with pytest.raises(BrokerUnavailable):
        await broker.balances()


async def test_clock_skew_is_synced_away(fake: FakeExchange, sleeps: Sleeps) -> None:
    fake.engine.clock_offset_ms = -45_000  # OKX refuses a timestamp more than 30 s off
    b = CcxtBroker(config(fake), sleep=sleeps)
    try:
        await b.connect()
        assert (await b.balances()).cash == Decimal(100_000)
        assert b.retries == []
        fake.engine.clock_offset_ms = +45_000  # the exchange jumps: one 50102, resync, retry
        await b.place(buy("t-1"))
        assert any(r[1] == "timestamp" for r in b.retries)
        assert at_venue(fake, "tZ1") == 1
    finally:
        await b.close()


async def test_market_data_for_price_bands_and_signals(broker: CcxtBroker) -> None:
    from datetime import UTC, datetime

    bid, ask = await broker.top_of_book("okx:BTC/USDT")
    assert bid < Decimal(42000) < ask
    assert await broker.last_price("BTC/USDT") == Decimal(42000)
    bars = await broker.ohlcv("BTC/USDT", "1d", datetime(2024, 1, 1, tzinfo=UTC), 3)
    assert [b[0].day for b in bars] == [1, 2, 3]
    assert all(b[3] <= b[4] <= b[2] for b in bars)
    recent = await broker.ohlcv("BTC/USDT", "1h", None, 5)
    assert len(recent) == 5
    assert [b[0] for b in recent] == sorted(b[0] for b in recent)
    assert abs((await broker.server_time()).timestamp() - datetime.now(UTC).timestamp()) < 60


async def test_okx_pages_fills_by_bill_id_by_default(fake: FakeExchange) -> None:
    b = CcxtBroker(replace(config(fake), trade_cursor="bill"))
    assert b._cursor() == "bill"
    assert CcxtBroker(config(fake))._cursor() == "bill"
