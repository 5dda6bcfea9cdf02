"""IBKR faults against the fake TWS, with real PostgreSQL (fills, orders, audit) and Redis
(client-id leases): socket drop mid-order, 1100 → 1102/1101, 326, reject, partial fill then
cancel, an execution the platform did not place, a TWS restart, a kill while disconnected."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ib_async import IB
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from vt_fakes.tws import FakeTws, OrderScript

from vt_trading.brokers.base import (
    BrokerUnavailable,
    OrderRefused,
    SubmissionUnknown,
    VenueOrder,
)
from vt_trading.brokers.ibkr import ConnectionManager, EnvironmentMismatch, IbkrBroker, State
from vt_trading.ledger import reconcile as rec

from .ledger import Importer, make_account, make_order, order_row

NOON_ET = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


def market(coid: str, qty: int = 10, side: str = "buy", symbol: str = "AAPL") -> VenueOrder:
    return VenueOrder(coid, symbol, side, "market", Decimal(qty))  # type: ignore[arg-type]


def limit(coid: str, qty: int, price: str) -> VenueOrder:
    return VenueOrder(coid, "AAPL", "buy", "limit", Decimal(qty), limit_price=Decimal(price))


@pytest.fixture
async def wired(
    make_manager: Callable[..., ConnectionManager],
    engine: AsyncEngine,
    database_url: str,
) -> tuple[IbkrBroker, Importer]:
    account_id = make_account(database_url)
    manager = make_manager(now=lambda: NOON_ET)
    broker = IbkrBroker(manager, ack_timeout_s=5)
    importer = Importer(broker, engine, account_id)
    manager.on_ready.append(importer)
    await broker.connect()
    return broker, importer


@pytest.fixture
async def ib_broker(wired: tuple[IbkrBroker, Importer]) -> tuple[IbkrBroker, Importer]:
    yield wired  # type: ignore[misc]
    await wired[0].close()


async def test_disconnect_mid_order_fill_imported_once_never_resent(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws, engine: AsyncEngine
) -> None:
    broker, importer = ib_broker
    coid = "Pdrop-s1-0"
    await make_order(engine, importer.account_id, coid, qty=10)
    tws.script(OrderScript(kind="drop", price=Decimal("188.5")))
    with pytest.raises(SubmissionUnknown, match="reconciliation"):
        await broker.place(market(coid))
    # the manager reconnects by itself; its on-ready hook imports what happened meanwhile
    await broker.connection.wait_for(State.READY)
    await broker.connection.drain()
    assert importer.reasons == ["connect", "reconnect"]
    assert len(importer.imported) == 1
    row = await order_row(engine, importer.account_id, coid)
    assert (row.state, row.filled_qty) == ("filled", Decimal(10))
    # the venue shows our order as executed, not ambiguous, and the position agrees
    ours = rec.ReconcileInput(positions={}, pending=frozenset({coid}))
    theirs = rec.ReconcileInput(
        positions=await broker.positions(),
        executions=[
            rec.ExecutionView(e.execution_id, e.client_order_id, e.symbol, e.side, e.qty, e.price)
            for e in importer.seen
        ],
    )
    kinds = [i.kind for i in rec.classify(ours, theirs)]
    assert kinds == ["missing_fill_ours", "matched"]
    # a second full import is a no-op, and a retried placement is recognised, never re-sent
    await importer.run(from_start=True)
    assert len(importer.imported) == 1
    assert len(importer.duplicates) == 1
    again = await broker.place(market(coid))
    assert again.duplicate
    assert len(tws.venue.orders) == 1
    assert len(tws.venue.executions) == 1


async def test_1100_blocks_sends_then_1102_reconciles(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, importer = ib_broker
    tws.script(OrderScript(kind="rest"))
    await broker.place(limit("P1100-s1-0", 5, "150"))
    tws.lose_connectivity()
    await broker.connection.wait_for(State.DEGRADED)
    with pytest.raises(BrokerUnavailable, match="1100"):
        await broker.place(market("P1100-s2-0"))
    with pytest.raises(BrokerUnavailable, match="1100"):
        await broker.cancel("P1100-s1-0")
    assert len(tws.venue.orders) == 1  # nothing was sent while blocked
    [fill] = tws.fill_working(price=Decimal(150))  # happens while the link is down
    tws.restore_connectivity()
    await broker.connection.wait_for(State.READY)
    await broker.connection.drain()
    assert importer.reasons == ["connect", "1102"]
    assert importer.imported == [fill.exec_id]
    history = broker.connection.history
    assert history[-2:] == [State.DEGRADED, State.READY]
    await broker.place(market("P1100-s3-0"))  # sends flow again


async def test_1101_resubscribes_and_reconciles(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, importer = ib_broker
    tws.lose_connectivity()
    await broker.connection.wait_for(State.DEGRADED)
    tws.restore_connectivity(data_lost=True)
    await broker.connection.wait_for(State.READY)
    await broker.connection.drain()
    assert importer.reasons == ["connect", "1101"]
    session = tws.session_for(broker.connection.client_id or -1)
    assert session is not None
    # the account subscription was taken again after the data loss
    assert [r[0] for r in session.requests].count("6") == 2


async def test_326_leases_another_client_id(
    make_manager: Callable[..., ConnectionManager], tws: FakeTws, redis: Redis
) -> None:
    squatter = IB()  # someone outside the platform holds the first id of the range
    await squatter.connectAsync("127.0.0.1", tws.port, clientId=100, timeout=5)
    manager = make_manager()
    try:
        await manager.connect()
        assert manager.client_id == 101
        assert manager.state is State.READY
        assert any(code == 326 for _, code, _ in manager.errors)
        second = make_manager()  # the same namespace: leases hand out a fresh id, no 326
        await second.connect()
        assert second.client_id == 102
        await second.close()
    finally:
        await manager.close()
        squatter.disconnect()


async def test_rejected_order_is_refused_with_201(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, _ = ib_broker
    tws.script(OrderScript(kind="reject", reason="margin"))
    with pytest.raises(OrderRefused, match="margin") as info:
        await broker.place(market("Prej-s1-0"))
    assert info.value.code == "201"
    assert await broker.open_orders() == []


async def test_partial_fill_then_cancel(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, _ = ib_broker
    tws.script(OrderScript(kind="partial", qty=Decimal(4), price=Decimal("149.5")))
    await broker.place(limit("Ppart-s1-0", 10, "150"))
    [working] = await broker.open_orders()
    assert (working.qty, working.filled_qty) == (Decimal(10), Decimal(4))
    assert await broker.cancel("Ppart-s1-0") is True
    assert await broker.open_orders() == []
    assert await broker.cancel("Ppart-s1-0") is False  # nothing left to cancel
    [ex] = (await broker.executions_since(None)).executions
    assert (ex.qty, ex.price) == (Decimal(4), Decimal("149.5"))
    [order] = tws.venue.orders.values()
    assert (order.status, order.filled) == ("Cancelled", Decimal(4))


async def test_execution_we_did_not_place_is_unattributed(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws, engine: AsyncEngine
) -> None:
    broker, importer = ib_broker
    tws.foreign_execution("MSFT", "BUY", Decimal(7))
    await importer.run()
    [e] = importer.seen
    assert e.client_order_id is None
    ours = rec.ReconcileInput(positions={})
    theirs = rec.ReconcileInput(
        positions=await broker.positions(),
        executions=[rec.ExecutionView(e.execution_id, None, e.symbol, e.side, e.qty, e.price)],
    )
    items = rec.classify(ours, theirs)
    assert [i.kind for i in items] == ["missing_fill_unattributed", "matched"]
    assert rec.halts(items)


async def test_tws_restart_reconnects_and_reconciles(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, importer = ib_broker
    first_id = broker.connection.client_id
    tws.drop_clients()
    await broker.connection.wait_for(State.DISCONNECTED)
    await broker.connection.wait_for(State.READY)
    await broker.connection.drain()
    assert importer.reasons == ["connect", "reconnect"]
    assert broker.connection.client_id == first_id  # its own lease was released and re-taken
    await broker.place(market("Prestart-s1-0"))


async def test_kill_while_disconnected_is_refused_not_queued(
    make_manager: Callable[..., ConnectionManager], tws: FakeTws
) -> None:
    """Cancels and flattens are refused while the socket is down (BrokerUnavailable): nothing
    is queued inside the adapter, because a queued order could fire long after the decision
    that made it. The kill latch is persisted by the trading core, which issues cancel-all and
    the reduce-only flatten again once the connection is ready."""
    manager = make_manager(auto_reconnect=False)
    broker = IbkrBroker(manager)
    await broker.connect()
    tws.script(OrderScript(kind="rest"))
    await broker.place(limit("Pkill-s1-0", 3, "100"))
    tws.drop_clients()
    await manager.wait_for(State.DISCONNECTED)
    with pytest.raises(BrokerUnavailable, match="disconnected"):
        await broker.cancel("Pkill-s1-0")
    with pytest.raises(BrokerUnavailable):
        await broker.place(market("Pkill-flat-0", side="sell"))
    await broker.close()
    assert [o.status for o in tws.venue.orders.values()] == ["Submitted"]


async def test_reconnect_gives_up_as_broken_and_alerts(
    make_manager: Callable[..., ConnectionManager], tws: FakeTws
) -> None:
    alerts: list[str] = []

    async def alert(code: int, message: str) -> None:
        alerts.append(message)

    manager = make_manager(now=lambda: NOON_ET)
    manager.on_alert.append(alert)
    await manager.connect()
    await tws.stop()
    await manager.wait_for(State.BROKEN)
    assert "broken" in alerts[-1]
    await manager.close()


async def test_unknown_error_code_is_surfaced(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, _ = ib_broker
    alerts: list[int] = []

    async def alert(code: int, message: str) -> None:
        alerts.append(code)

    broker.connection.on_alert.append(alert)
    tws.send_error(2110, "Connectivity between TWS and server is broken.")  # a warning: logged
    tws.send_error(9999, "Something IB has not documented")
    await broker.server_time()  # a round trip: both codes have arrived
    await broker.connection.drain()
    assert alerts == [9999]


async def test_farm_status_codes_tracked(
    ib_broker: tuple[IbkrBroker, Importer], tws: FakeTws
) -> None:
    broker, _ = ib_broker
    tws.farm_status(2103)
    tws.farm_status(2105)
    await broker.server_time()
    assert broker.connection.farms_ok[2103] is False
    assert broker.connection.farms_ok[2105] is False
    assert broker.connection.state is State.READY  # data farms do not block orders
    tws.farm_status(2104)
    await broker.server_time()
    assert broker.connection.farms_ok[2104] is True


async def test_paper_live_guard(
    make_manager: Callable[..., ConnectionManager], tws: FakeTws, redis: Redis
) -> None:
    # live while live trading is off on the service
    with pytest.raises(EnvironmentMismatch, match="TRADING_LIVE_ENABLED"):
        await make_manager("live").connect()
    # a live broker account (live enabled) against a DU… paper login refuses after the handshake
    live = make_manager("live")
    live.endpoint = type(live.endpoint)(**{**live.endpoint.__dict__, "live_enabled": True})
    with pytest.raises(EnvironmentMismatch, match="paper account"):
        await live.connect()
    assert live.state is State.DISCONNECTED
    assert live.client_id is None  # the lease went back
    # the broker account names another IBKR account than the login manages
    other = make_manager("paper", account="DU7654321")
    with pytest.raises(EnvironmentMismatch, match="not managed"):
        await other.connect()


def test_ports_and_accounts_by_environment() -> None:
    from vt_trading.brokers.ibkr.guard import check_accounts, check_port

    with pytest.raises(EnvironmentMismatch, match="7497"):
        check_port("paper", 7496, live_enabled=False)
    with pytest.raises(EnvironmentMismatch, match="live port"):
        check_port("live", 4002, live_enabled=True)
    check_port("paper", 4002, live_enabled=False)
    assert check_accounts("paper", "", ["DU0000001"]) == "DU0000001"
    with pytest.raises(EnvironmentMismatch, match="live IBKR account"):
        check_accounts("paper", "", ["U1234567"])
    with pytest.raises(EnvironmentMismatch, match="several accounts"):
        check_accounts("paper", "", ["DU1", "DU2"])


def test_backoff_and_restart_window() -> None:
    from vt_trading.brokers.ibkr.connection import Backoff

    b = Backoff(base_s=0.5, max_s=60)
    assert [b.delay(i) for i in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert b.delay(20) == 60
    assert b.in_restart_window(datetime(2026, 12, 3, 5, 0, tzinfo=UTC))  # 00:00 New York
    assert not b.in_restart_window(NOON_ET)


async def test_leases_are_unique_and_released(redis: Redis) -> None:
    from vt_trading.brokers.ibkr import ClientIdLeases

    tag = uuid.uuid4().hex
    a = ClientIdLeases(redis, environment="paper", role="trader", endpoint=tag)
    b = ClientIdLeases(redis, environment="paper", role="trader", endpoint=tag)
    live = ClientIdLeases(redis, environment="live", role="trader", endpoint=tag)
    monitor = ClientIdLeases(redis, environment="paper", role="monitor", endpoint=tag)
    ids = [await a.acquire(), await b.acquire(), await live.acquire(), await monitor.acquire()]
    assert ids == [100, 101, 1100, 200]
    await b.release(100)  # not b's lease: no effect
    assert await a.renew(100)
    await a.release(100)
    assert await b.acquire() == 100
    await asyncio.gather(a.release(101), b.release(100), live.release(1100), monitor.release(200))


async def test_unanswered_heartbeat_drops_and_reconnects(
    make_manager: Callable[..., ConnectionManager], tws: FakeTws
) -> None:
    """A socket that stays open but no longer answers (a hung TWS) is dropped by the heartbeat
    and the manager reconnects on its own."""
    reasons: list[str] = []

    async def hook(reason: str) -> None:
        reasons.append(reason)

    manager = make_manager(heartbeat_s=0.01, connect_timeout_s=0.5, now=lambda: NOON_ET)
    manager.on_ready.append(hook)
    await manager.connect()
    tws.ignore_requests.add(49)  # reqCurrentTime goes unanswered
    await manager.wait_for(State.DISCONNECTED)
    tws.ignore_requests.clear()
    await manager.wait_for(State.READY)
    await manager.drain()
    assert reasons == ["connect", "reconnect"]
    await manager.close()
