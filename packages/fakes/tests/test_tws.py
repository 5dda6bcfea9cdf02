"""ib_async's own client, unmodified, against the fake TWS: handshake, start-up sync, contracts,
orders with fills and commissions, partial fill + cancel, reject, 326, 1100/1102, historical
bars and a socket drop mid-order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from ib_async import IB, ExecutionFilter, Future, LimitOrder, MarketOrder, Stock, Trade

from vt_fakes.tws import PAPER_ACCOUNT, SERVER_VERSION, FakeTws, OrderScript
from vt_fakes.tws.wire import frame, negotiate, split_frames


@pytest.fixture
async def tws() -> AsyncIterator[FakeTws]:
    fake = await FakeTws().start()
    yield fake
    await fake.stop()


async def connect(tws: FakeTws, client_id: int = 11) -> IB:
    ib = IB()
    await ib.connectAsync(
        "127.0.0.1", tws.port, clientId=client_id, timeout=5, raiseSyncErrors=True
    )
    return ib


async def until_done(trade: Trade) -> None:
    while not trade.isDone():
        await trade.statusEvent


def test_framing_and_version_negotiation() -> None:
    msgs, rest = split_frames(frame([9, 1, 42]) + frame(["a", ""])[:3])
    assert msgs == [["9", "1", "42"]]
    assert len(rest) == 3
    assert negotiate(b"v157..178") == SERVER_VERSION == 178
    assert negotiate(b"v100..200 +PACEAPI") == 178
    assert negotiate(b"v100..150") is None


async def test_connect_and_sync_with_ib_async(tws: FakeTws) -> None:
    ib = await connect(tws)
    try:
        assert ib.client.serverVersion() == 178
        assert ib.managedAccounts() == [PAPER_ACCOUNT]
        assert ib.isConnected()
        server_time = await ib.reqCurrentTimeAsync()
        assert server_time.tzinfo is not None
        summary = {v.tag: v.value for v in await ib.accountSummaryAsync()}
        assert Decimal(summary["NetLiquidation"]) == Decimal(1_000_000)
    finally:
        ib.disconnect()


async def test_contract_details_for_stocks_and_futures(tws: FakeTws) -> None:
    ib = await connect(tws)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        assert aapl.conId
        assert aapl.primaryExchange == "NASDAQ"
        details = await ib.reqContractDetailsAsync(Future("MCL", exchange="NYMEX"))
        assert len(details) == 4
        assert {d.contract.multiplier for d in details} == {"100"}
        expiries = [d.contract.lastTradeDateOrContractMonth for d in details]
        assert expiries == sorted(expiries)
        mbt = await ib.reqContractDetailsAsync(Future("MBT", exchange="CME"))
        assert mbt[0].contract.multiplier == "0.1"
    finally:
        ib.disconnect()


async def test_market_order_fills_with_commission(tws: FakeTws) -> None:
    tws.set_price("AAPL", Decimal("191.25"))
    ib = await connect(tws)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        order = MarketOrder("BUY", 300)
        order.orderRef = "Pdep1-snap1-0"
        trade = ib.placeOrder(aapl, order)
        await until_done(trade)
        assert trade.orderStatus.status == "Filled"
        [fill] = trade.fills
        assert fill.execution.price == 191.25
        assert fill.execution.orderRef == "Pdep1-snap1-0"
        await asyncio.sleep(0)  # the commission report follows the execution
        assert fill.commissionReport.commission == 1.5
        [pos] = ib.positions()
        assert pos.position == 300
        fills = await ib.reqExecutionsAsync(ExecutionFilter())
        assert [f.execution.execId for f in fills] == [fill.execution.execId]
    finally:
        ib.disconnect()


async def test_working_orders_match_at_the_feed_with_a_commission_rate(tws: FakeTws) -> None:
    tws.set_commission_rate(Decimal("0.0005"))
    tws.set_price("AAPL", Decimal(200))
    ib = await connect(tws)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        buy = ib.placeOrder(aapl, LimitOrder("BUY", 10, 150))
        sell = ib.placeOrder(aapl, LimitOrder("SELL", 10, 300))
        await ib.reqOpenOrdersAsync()
        assert buy.orderStatus.status == sell.orderStatus.status == "Submitted"
        tws.set_price("AAPL", Decimal(140))
        [ex] = tws.match_working()  # the buy limit is through, the sell limit is not
        assert (ex.side, ex.shares, ex.price, ex.commission) == (
            "BOT",
            Decimal(10),
            Decimal(140),
            Decimal("0.70"),
        )
        await until_done(buy)
        assert sell.orderStatus.status == "Submitted"
        assert tws.match_working() == []
    finally:
        ib.disconnect()


async def test_partial_fill_then_cancel(tws: FakeTws) -> None:
    tws.script(OrderScript(kind="partial", qty=Decimal(4)))
    ib = await connect(tws)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        trade = ib.placeOrder(aapl, LimitOrder("BUY", 10, 200))
        while trade.orderStatus.filled < 4:
            await trade.statusEvent
        assert trade.orderStatus.remaining == 6
        ib.cancelOrder(trade.order)
        await until_done(trade)
        assert trade.orderStatus.status == "Cancelled"
        assert trade.orderStatus.filled == 4
    finally:
        ib.disconnect()


async def test_reject_is_error_201(tws: FakeTws) -> None:
    tws.script(OrderScript(kind="reject", reason="insufficient margin"))
    ib = await connect(tws)
    errors: list[int] = []
    ib.errorEvent += lambda req_id, code, msg, contract: errors.append(code)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        trade = ib.placeOrder(aapl, MarketOrder("BUY", 1))
        await until_done(trade)
        assert 201 in errors
        assert trade.fills == []
    finally:
        ib.disconnect()


async def test_duplicate_client_id_is_326(tws: FakeTws) -> None:
    first = await connect(tws, client_id=5)
    second = IB()
    errors: list[int] = []
    second.errorEvent += lambda req_id, code, msg, contract: errors.append(code)
    try:
        with pytest.raises((ConnectionError, TimeoutError)):
            await second.connectAsync("127.0.0.1", tws.port, clientId=5, timeout=1)
        assert errors == [326]
        third = await connect(tws, client_id=6)
        third.disconnect()
    finally:
        first.disconnect()


async def test_1100_hides_fills_until_reqexecutions_then_1102(tws: FakeTws) -> None:
    tws.script(OrderScript(kind="rest"))
    ib = await connect(tws)
    codes: list[int] = []
    ib.errorEvent += lambda req_id, code, msg, contract: codes.append(code)
    live: list[object] = []
    ib.execDetailsEvent += lambda trade, fill: live.append(fill)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        trade = ib.placeOrder(aapl, LimitOrder("BUY", 10, 150))
        await trade.statusEvent
        tws.lose_connectivity()
        [execution] = tws.fill_working(price=Decimal(150))
        tws.restore_connectivity()
        fills = await ib.reqExecutionsAsync(ExecutionFilter())
        assert [f.execution.execId for f in fills] == [execution.exec_id]
        assert live == []  # the live report was lost with the link
        assert codes[-2:] == [1100, 1102]
    finally:
        ib.disconnect()


async def test_socket_drop_mid_order_fill_visible_after_reconnect(tws: FakeTws) -> None:
    tws.script(OrderScript(kind="drop"))
    ib = await connect(tws)
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    order = MarketOrder("SELL", 2)
    order.orderRef = "Pdep1-snap2-0"
    ib.placeOrder(aapl, order)
    while ib.isConnected():
        await ib.disconnectedEvent
    ib2 = await connect(tws)
    try:
        fills = await ib2.reqExecutionsAsync(ExecutionFilter())
        assert [f.execution.orderRef for f in fills] == ["Pdep1-snap2-0"]
        completed = await ib2.reqCompletedOrdersAsync(False)
        assert [t.orderStatus.status for t in completed] == ["Filled"]
    finally:
        ib2.disconnect()


async def test_historical_bars_and_farm_codes(tws: FakeTws) -> None:
    ib = await connect(tws)
    codes: list[int] = []
    ib.errorEvent += lambda req_id, code, msg, contract: codes.append(code)
    try:
        [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
        bars = await ib.reqHistoricalDataAsync(spy, "", "30 D", "1 day", "TRADES", True)
        assert len(bars) == 30
        assert bars[-1].close == 520.0
        hourly = await ib.reqHistoricalDataAsync(spy, "", "1 D", "1 hour", "TRADES", True)
        assert len(hourly) == 24
        for code in (2103, 2104, 2105, 2106):
            tws.farm_status(code)
        await ib.reqCurrentTimeAsync()  # a round trip: the codes before it have arrived
        assert codes == [2103, 2104, 2105, 2106]
    finally:
        ib.disconnect()


async def test_runnable_as_a_module() -> None:
    """`python -m vt_fakes.tws --port N` serves ib_async like the in-process fake does."""
    import socket
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "vt_fakes.tws", "--port", str(port), "--price", "AAPL=123.5"],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        ib = IB()
        for _ in range(200):
            try:
                await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=5)
                break
            except (ConnectionError, OSError):
                await asyncio.sleep(0.05)
        try:
            [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            trade = ib.placeOrder(aapl, MarketOrder("BUY", 1))
            await until_done(trade)
            assert trade.fills[0].execution.price == 123.5
        finally:
            ib.disconnect()
    finally:
        proc.terminate()
        await proc.wait()
