"""The IBKR adapter against the fake TWS: contracts, orders with fills and fees, executions
since a watermark, positions, balances and the raw objects in the audit chain."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vt_db.trading_models import AuditRow
from vt_fakes.tws import PAPER_ACCOUNT, FakeTws, OrderScript
from vt_trading.audit import chain_records
from vt_trading.brokers.base import Broker, OrderRefused, VenueOrder
from vt_trading.brokers.ibkr import IbkrBroker, State
from vt_trading.ledger.audit import verify


def order(
    coid: str, symbol: str = "AAPL", side: str = "buy", qty: int = 10, **kw: object
) -> VenueOrder:
    return VenueOrder(
        client_order_id=coid,
        symbol=symbol,
        side=side,
        type=kw.pop("type", "market"),
        qty=Decimal(qty),
        **kw,
    )  # type: ignore[arg-type]


async def test_conforms_and_connects_ready(broker: IbkrBroker) -> None:
    assert isinstance(broker, Broker)
    assert broker.connection.state is State.READY
    assert broker.connection.account == PAPER_ACCOUNT
    assert broker.connection.client_id in range(100, 200)
    assert (await broker.server_time()).tzinfo is not None


async def test_market_order_fill_fee_and_position(broker: IbkrBroker, tws: FakeTws) -> None:
    tws.set_price("AAPL", Decimal("190.10"))
    result = await broker.place(order("Pd1-s1-0", qty=400))
    assert result.accepted
    assert not result.duplicate
    page = await broker.executions_since(None)
    [ex] = page.executions
    assert ex.client_order_id == "Pd1-s1-0"
    assert (ex.side, ex.qty, ex.price, ex.fees) == (
        "buy",
        Decimal(400),
        Decimal("190.1"),
        Decimal(2),
    )
    assert ex.raw["raw"]["execution"]["orderRef"] == "Pd1-s1-0"
    assert await broker.positions() == {"AAPL": Decimal(400)}
    again = await broker.executions_since(page.watermark)
    assert again.executions == []
    assert again.watermark == page.watermark


@pytest.mark.parametrize("qty", ["0", "-5", "NaN", "Infinity"])
async def test_non_positive_quantity_is_refused_before_anything_is_sent(
    broker: IbkrBroker, tws: FakeTws, qty: str
) -> None:
    bad = VenueOrder(
        client_order_id=f"Pq-{qty}", symbol="AAPL", side="sell", type="market", qty=Decimal(qty)
    )
    with pytest.raises(OrderRefused, match="quantity must be a positive number") as exc:
        await broker.place(bad)
    assert exc.value.code == "qty"
    with pytest.raises(OrderRefused, match="price must be positive"):
        await broker.place(order("Pq-px", type="limit", limit_price=Decimal(-1)))
    assert tws.venue.orders == {}
    # no placeOrder reached the fake at all
    assert not [r for sess in tws.sessions for r in sess.requests if r[0] == "3"]


async def test_retried_place_is_a_duplicate_not_a_second_order(
    broker: IbkrBroker, tws: FakeTws
) -> None:
    tws.script(OrderScript(kind="rest"))
    first = await broker.place(order("Pd1-s2-0", type="limit", limit_price=Decimal(150)))
    second = await broker.place(order("Pd1-s2-0", type="limit", limit_price=Decimal(150)))
    assert second.duplicate
    assert second.broker_order_id == first.broker_order_id
    assert len(tws.venue.orders) == 1
    [working] = await broker.open_orders()
    assert working.client_order_id == "Pd1-s2-0"
    assert working.type == "limit"


async def test_futures_front_month_with_multiplier(broker: IbkrBroker, tws: FakeTws) -> None:
    tws.set_price("MCL", Decimal("71.25"))
    await broker.place(order("Pd2-s1-0", symbol="FUT:MCL:NYMEX", qty=2))
    resolved = broker.contracts.cached("FUT:MCL:NYMEX")
    assert resolved is not None
    assert resolved.multiplier == Decimal(100)
    [ex] = (await broker.executions_since(None)).executions
    assert ex.symbol == "FUT:MCL:NYMEX"
    assert ex.fees == Decimal("1.7")
    assert await broker.positions() == {"FUT:MCL:NYMEX": Decimal(2)}
    balances = await broker.balances()
    # cash moved by qty × price × multiplier + fees
    assert balances.cash == Decimal(1_000_000) - Decimal(2) * Decimal("71.25") * 100 - Decimal(
        "1.7"
    )
    assert balances.margin_used is not None
    assert balances.positions == {"FUT:MCL:NYMEX": Decimal(2)}


async def test_a_fresh_connection_reports_futures_under_the_traded_symbol(
    broker: IbkrBroker, tws: FakeTws, make_manager: Any
) -> None:
    await broker.place(order("Pd2-s2-0", symbol="FUT:MBT:CME", qty=3))
    other = IbkrBroker(make_manager(), ack_timeout_s=5)
    await other.connect()
    try:
        # before it resolves the symbol, a new connection only knows IB's contract month
        [(sym, qty)] = (await other.positions()).items()
        assert sym.startswith("FUT:MBT:CME:")
        assert qty == 3
        await other.prepare(["FUT:MBT:CME", "NOPE"])  # an unknown symbol is skipped
        assert await other.positions() == {"FUT:MBT:CME": Decimal(3)}
        [ex] = (await other.executions_since(None)).executions
        assert (ex.symbol, ex.multiplier) == ("FUT:MBT:CME", Decimal("0.1"))
        terms = await other.instrument("FUT:MBT:CME")
        assert (terms.multiplier, terms.lot) == (Decimal("0.1"), Decimal(1))
    finally:
        await other.close()


async def test_cancel_is_per_client_id_and_cancel_all_is_global(
    broker: IbkrBroker, tws: FakeTws, make_manager: Any
) -> None:
    tws.script(OrderScript(kind="rest"))
    await broker.place(order("Pd9-s1-0", type="limit", limit_price=Decimal(150)))
    other = IbkrBroker(make_manager(), ack_timeout_s=5)
    await other.connect()
    try:
        assert other.connection.client_id != broker.connection.client_id
        [seen] = await other.open_orders()
        assert seen.client_order_id == "Pd9-s1-0"
        # TWS cancels by id only from the placing client: refused, nothing sent
        with pytest.raises(OrderRefused, match="placed by IBKR client id") as exc:
            await other.cancel("Pd9-s1-0")
        assert exc.value.code == "client-id"
        assert not tws.global_cancels
        [cancelled] = await other.cancel_all()
        assert cancelled.client_order_id == "Pd9-s1-0"
        assert tws.global_cancels == [other.connection.client_id]
        assert await other.open_orders() == []
        assert await broker.open_orders() == []
        assert await other.cancel_all() == []  # nothing working: nothing sent
        assert len(tws.global_cancels) == 1
    finally:
        await other.close()


async def test_unknown_symbol_is_refused(broker: IbkrBroker) -> None:
    with pytest.raises(OrderRefused, match="no contract"):
        await broker.place(order("Pd1-s3-0", symbol="NOPE"))


async def test_watermark_pages_never_repeat(broker: IbkrBroker, tws: FakeTws) -> None:
    await broker.place(order("Pd3-s1-0", qty=1))
    first = await broker.executions_since(None)
    await broker.place(order("Pd3-s2-0", qty=2))
    await broker.place(order("Pd3-s3-0", qty=3))
    second = await broker.executions_since(first.watermark)
    assert [e.client_order_id for e in second.executions] == ["Pd3-s2-0", "Pd3-s3-0"]
    third = await broker.executions_since(second.watermark)
    assert third.executions == []


async def test_dry_run_sends_nothing(make_manager: object, tws: FakeTws) -> None:
    b = IbkrBroker(make_manager(), dry_run=True)  # type: ignore[operator]
    await b.connect()
    try:
        result = await b.place(order("Pd4-s1-0"))
        assert result.broker_order_id == "dry-run:Pd4-s1-0"
        assert tws.venue.orders == {}
    finally:
        await b.close()


async def test_raw_objects_land_in_the_audit_chain(
    broker: IbkrBroker, engine: AsyncEngine, account_id: uuid.UUID
) -> None:
    await broker.place(order("Pd5-s1-0", qty=5))
    await broker.executions_since(None)
    await broker.audit.flush()
    async with AsyncSession(engine) as session:
        rows = list(
            (
                await session.scalars(
                    select(AuditRow).where(AuditRow.account_id == account_id).order_by(AuditRow.seq)
                )
            ).all()
        )
    kinds = [r.kind for r in rows]
    for kind in (
        "ibkr.place_request",
        "ibkr.open_order",
        "ibkr.order_status",
        "ibkr.exec_details",
        "ibkr.commission_report",
        "ibkr.execution",
    ):
        assert kind in kinds
    assert verify(chain_records(rows)) is None
    report = next(r for r in rows if r.kind == "ibkr.commission_report")
    assert report.record["raw"]["commission"] == 1.0


async def test_factory_builds_a_broker_from_account_settings(tws: FakeTws, redis_url: str) -> None:
    from redis.asyncio import Redis

    from vt_trading.brokers.base import BadCredentials
    from vt_trading.brokers.ibkr import IbkrConfig, build_ibkr_broker

    with pytest.raises(BadCredentials, match="unknown IBKR settings"):
        IbkrConfig.from_mapping({"hots": "x"})
    for bad, says in (
        ({"port": "seven"}, "port must be a number"),
        ({"port": "70000"}, "port must be between 1 and 65535"),
        ({"connect_timeout_s": "nan"}, "connect_timeout_s must be between"),
        ({"roll_days": "-1"}, "roll_days must be between 0 and 90"),
        ({"client_role": "admin"}, "client_role must be trader or monitor"),
    ):
        with pytest.raises(BadCredentials, match=says):
            IbkrConfig.from_mapping(bad)
    config = IbkrConfig.from_mapping(
        {"host": "127.0.0.1", "port": tws.port, "account_id": PAPER_ACCOUNT}
    )
    redis = Redis.from_url(redis_url)
    broker = build_ibkr_broker(config, environment="paper", redis=redis)
    try:
        await broker.connect()
        assert broker.connection.account == PAPER_ACCOUNT
        assert broker.venue == "ibkr"
    finally:
        await broker.close()
        await redis.aclose()


async def test_hong_kong_stock_in_board_lots(broker: IbkrBroker, tws: FakeTws) -> None:
    with pytest.raises(OrderRefused, match="board lots of 100") as info:
        await broker.place(order("Phk-s1-0", symbol="STK:700:SEHK:HKD", qty=150))
    assert info.value.code == "lot"
    assert tws.venue.orders == {}
    await broker.place(order("Phk-s2-0", symbol="STK:700:SEHK:HKD", qty=200))
    [ex] = (await broker.executions_since(None)).executions
    assert (ex.symbol, ex.qty, ex.price) == ("STK:700:SEHK:HKD", Decimal(200), Decimal(380))
    assert ex.raw["raw"]["contract"]["currency"] == "HKD"


def test_decimals_from_ib_floats_have_no_exponent() -> None:
    from vt_trading.brokers.ibkr.broker import _dec

    assert str(_dec(100.0)) == "100"
    assert str(_dec(0.85)) == "0.85"
    assert str(_dec(190.1)) == "190.1"
    assert _dec(0.0) == 0


def test_raw_records_are_redacted() -> None:
    from dataclasses import dataclass

    from vt_trading.brokers.ibkr.raw import record

    @dataclass
    class Thing:
        order_ref: str = "Pd1-s1-0"
        password: str = "hunter2"
        note: str = "api_key=abc123 sent"
        lmt_price: float = 1.7976931348623157e308

    out = record(Thing(), token="t0k")
    assert out["raw"]["order_ref"] == "Pd1-s1-0"
    assert out["raw"]["password"] == "***"
    assert "abc123" not in out["raw"]["note"]
    assert out["raw"]["lmt_price"] is None
    assert out["token"] == "***"


async def test_historical_bars_for_signals(broker: IbkrBroker, tws: FakeTws) -> None:
    tws.set_price("SPY", Decimal("500"))
    bars = await broker.bars("SPY", duration="10 D", bar_size="1 day")
    assert len(bars) == 10
    assert bars[-1]["close"] == 500.0
    stamps = [b["ts"] for b in bars]
    assert stamps == sorted(stamps)
    assert all(ts.tzinfo is not None for ts in stamps)
    mcl = await broker.bars("FUT:MCL:NYMEX", duration="1 D", bar_size="1 hour")
    assert len(mcl) == 24
