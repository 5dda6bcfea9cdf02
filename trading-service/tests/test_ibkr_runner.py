"""A deployment on an `ibkr` paper account through the trading service's bar step, against the
wire-level fake TWS (ib_async's own client code on a real socket; real PostgreSQL and Redis):
target -> risk -> order (our client order id as IB orderRef) -> fill with its commission report
-> positions and P&L -> reconciliation clean. And the lost acknowledgement: the order becomes
`unknown`, the account halts, and after a restart reconciliation finds the order by its orderRef
and imports its fill once; it is never sent again."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from redis.asyncio import Redis
from test_faults import feed, qualified  # noqa: F401 - fixture
from test_replay_parity import PERIOD
from tr_testkit import NON_BINDING_LIMITS, h, sql, trading_client

from vt_fakes.tws import PAPER_ACCOUNT, FakeTws, OrderScript
from vt_trading.context import TradingContext
from vt_trading.runner.step import BarStep, StepHalted
from vt_trading.trading import recovery
from vt_trading.trading.reconcile import reconcile_account


@pytest.fixture
async def tws() -> AsyncIterator[FakeTws]:
    fake = await FakeTws().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def deploy_ibkr(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    tws: FakeTws,
    instrument_map: list[dict[str, str]] | None = None,
    **settings: str,
) -> tuple[str, str]:
    """(deployment id, account id): an `ibkr` paper account whose settings point at the fake
    TWS, and a replay deployment of the SMA sample on it."""
    async with trading_client(make_settings()) as api:
        r = await api.post(
            "/accounts",
            json={
                "name": f"IB paper {uuid.uuid4().hex[:6]}",
                "venue": "ibkr",
                "environment": "paper",
                "base_currency": "USD",
                "credentials": {
                    "host": "127.0.0.1",
                    "port": str(tws.port),
                    "account_id": PAPER_ACCOUNT,
                    **settings,
                },
                "risk_limits": NON_BINDING_LIMITS,
            },
            headers=h(user),
        )
        assert r.status_code == 201, r.text
        aid = r.json()["id"]
        r = await api.post(
            "/deployments",
            json={
                "strategy_id": qualified["strategy_id"],
                "backtest_id": qualified["run"]["id"],
                "capital": "100000",
                "broker": "ibkr",
                "account_id": aid,
                "acknowledge_failed_gates": True,
                "replay": {**PERIOD, "bars_per_second": 10000},
                "instrument_map": instrument_map
                or [
                    {
                        "signal_symbol": "SAMPLE:AAPL",
                        "traded_symbol": "AAPL",
                        "multiplier": "1",
                        "currency": "USD",
                    }
                ],
            },
            headers=h(user),
        )
        assert r.status_code == 201, r.text
        return r.json()["id"], aid


def open_price(frames: dict[str, pd.DataFrame], t: pd.Timestamp) -> Decimal:
    """The fake fills market orders at its feed: the bar's open, as the step sized the order."""
    return Decimal(str(round(float(frames["SAMPLE:AAPL"]["open"].loc[t]), 2)))


def orders_at_venue(tws: FakeTws) -> list[tuple[str, str, Decimal]]:
    return [(o.order_ref, o.action, o.total_qty) for o in tws.venue.orders.values()]


async def test_deployment_trades_through_ibkr_and_reconciles_clean(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    tws: FakeTws,
) -> None:
    did, aid = await deploy_ibkr(make_settings, user, qualified, tws)
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        first = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="start")
        assert not first.halted, first
        frames, bars = await feed(ctx, did)
        last = 0
        for last, t in enumerate(bars):  # noqa: B007 - the bar after the loop follows it
            tws.set_price("AAPL", open_price(frames, t))
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if len(tws.venue.executions) >= 2:  # a round trip: in, then out
                break
        assert len(tws.venue.executions) == 2, "the strategy never made a round trip"
        # one more bar imports whatever the venue reported after the last step
        nxt = bars[last + 1]
        tws.set_price("AAPL", open_price(frames, nxt))
        await step.run(uuid.UUID(did), nxt, frames, replay=True)
    finally:
        await step.aclose()

    # the orders we persisted are the orders IB has, by orderRef, side and quantity
    ours = sql(
        database_url,
        "SELECT client_order_id, side, qty, filled_qty, state, risk_decision "
        "FROM trading_paper.orders WHERE account_id = %s ORDER BY created_at",
        aid,
    )
    assert [(c, s.upper(), q) for c, s, q, *_ in ours] == [
        (ref, "BUY" if a == "BUY" else "SELL", q) for ref, a, q in orders_at_venue(tws)
    ]
    assert all(st == "filled" and f == q and rd == "allow" for _c, _s, q, f, st, rd in ours)
    assert all(c.startswith("p") and len(c) <= 36 for c, *_ in ours)  # paper env prefix
    # every execution imported once, with IB's commission report as its fee
    fills = sql(
        database_url,
        "SELECT execution_id, client_order_id, qty, price, fees FROM trading_paper.fills "
        "WHERE account_id = %s ORDER BY ts, execution_id",
        aid,
    )
    venue = {e.exec_id: e for e in tws.venue.executions}
    assert sorted(f[0] for f in fills) == sorted(venue)
    for exec_id, coid, qty, price, fees in fills:
        e = venue[exec_id]
        assert (coid, qty, price, fees) == (e.order_ref, e.shares, e.price, e.commission)
        assert fees > 0
    # positions and P&L are the venue's
    pos = sql(
        database_url,
        "SELECT qty, realized_pnl, fees FROM trading_paper.positions "
        "WHERE account_id = %s AND deployment_id = %s AND symbol = 'AAPL'",
        aid,
        did,
    )
    [(qty, realized, fees)] = pos
    [venue_pos] = tws.venue.positions.values()
    assert qty == venue_pos.qty == 0
    assert realized == sum(e.realized_pnl for e in tws.venue.executions)
    assert fees == sum(e.commission for e in tws.venue.executions)
    # the raw IB objects are in the account's audit chain
    kinds = {
        k
        for (k,) in sql(
            database_url,
            "SELECT DISTINCT kind FROM trading_paper.audit_log WHERE account_id = %s",
            aid,
        )
    }
    assert {
        "ibkr.place_request",
        "ibkr.open_order",
        "ibkr.order_status",
        "ibkr.commission_report",
        "order.new",
        "broker.request",
        "broker.response",
        "broker.execution",
    } <= kinds
    try:
        again = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="check")
        assert not again.halted, again
        assert {i.kind for i in again.items} <= {"matched"}
        async with trading_client(make_settings()) as api:
            risk = (
                await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))
            ).json()
            assert risk["state"] == "active"
            exc = (
                await api.get("/trading/exceptions", params={"account_id": aid}, headers=h(user))
            ).json()
            assert exc["items"] == []
    finally:
        await ctx.aclose()


@pytest.mark.parametrize("lost", ["silent", "drop"])
async def test_lost_acknowledgement_is_unknown_halts_and_is_never_resent(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    tws: FakeTws,
    lost: str,
) -> None:
    """``silent``: IB takes (and fills) the order but no answer ever reaches us (the socket
    stays up: the ack timeout). ``drop``: the socket drops right after the order went out."""
    did, aid = await deploy_ibkr(make_settings, user, qualified, tws, ack_timeout_s="1")
    tws.script(OrderScript(kind=lost))  # type: ignore[arg-type]
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        assert not (await reconcile_account(ctx, uuid.UUID(aid), actor="t", reason="start")).halted
        frames, bars = await feed(ctx, did)
        sent_at = None
        for i, t in enumerate(bars):
            tws.set_price("AAPL", open_price(frames, t))
            # a dropped socket: the venue cannot be read for the rest of this bar
            with contextlib.suppress(StepHalted):
                await step.run(uuid.UUID(did), t, frames, replay=True)
            if tws.venue.orders:
                sent_at = i
                break
        assert sent_at is not None, "the strategy never traded"
    finally:
        await step.aclose()  # the process goes away
        await ctx.aclose()

    [(coid, state)] = sql(
        database_url,
        "SELECT client_order_id, state FROM trading_paper.orders WHERE account_id = %s",
        aid,
    )
    assert state == "unknown"
    [(ref, _action, _qty)] = orders_at_venue(tws)
    assert ref == coid  # IB has it (and filled it) under our deterministic client order id
    assert len(tws.venue.executions) == 1
    assert sql(
        database_url, "SELECT count(*) FROM trading_paper.fills WHERE account_id = %s", aid
    ) == [(0,)]
    async with trading_client(make_settings()) as api:
        risk = (await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))).json()
        assert risk["state"] == "halted"
        exc = (
            await api.get("/trading/exceptions", params={"account_id": aid}, headers=h(user))
        ).json()
        assert [e["kind"] for e in exc["items"]] == ["ambiguous"]
        assert coid in exc["items"][0]["detail"]

    # restart: a new process recovers, reconciles and steps on
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        assert await recovery.recover_account(ctx, uuid.UUID(aid)) == 0  # nothing in flight
        report = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="restart")
        assert [(i.kind, i.client_order_id) for i in report.items if i.kind != "matched"] == [
            ("missing_fill_ours", coid)
        ]
        assert not report.halted  # nothing new is wrong; the earlier halt stays for a person
        [(state, filled, qty)] = sql(
            database_url,
            "SELECT state, filled_qty, qty FROM trading_paper.orders WHERE client_order_id = %s",
            coid,
        )
        assert state == "filled"
        assert filled == qty
        [ex] = tws.venue.executions
        assert sql(
            database_url,
            "SELECT execution_id, qty, price, fees FROM trading_paper.fills WHERE account_id = %s",
            aid,
        ) == [(ex.exec_id, ex.shares, ex.price, ex.commission)]
        assert sql(
            database_url,
            "SELECT qty FROM trading_paper.positions WHERE deployment_id = %s AND symbol = 'AAPL'",
            did,
        ) == [(ex.shares,)]
        # the halted account steps on: nothing is re-sent, no new risk is taken
        for t in bars[sent_at + 1 : sent_at + 6]:
            tws.set_price("AAPL", open_price(frames, t))
            await step.run(uuid.UUID(did), t, frames, replay=True)
        assert orders_at_venue(tws) == [(coid, _action, _qty)]
        # reconciling again changes nothing and the fill is not imported twice
        again = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="again")
        assert {i.kind for i in again.items} <= {"matched"}
        assert sql(
            database_url, "SELECT count(*) FROM trading_paper.fills WHERE account_id = %s", aid
        ) == [(1,)]
    finally:
        await step.aclose()
        await ctx.aclose()


async def hold_a_position(
    step: BarStep, tws: FakeTws, did: str, frames: dict[str, pd.DataFrame], bars: list[Any]
) -> int:
    """Step bars until the deployment holds a position at the venue; the bar index."""
    for i, t in enumerate(bars):
        tws.set_price("AAPL", open_price(frames, t))
        await step.run(uuid.UUID(did), t, frames, replay=True)
        if tws.venue.executions:
            return i
    raise AssertionError("the strategy never traded")


def venue_positions(tws: FakeTws) -> list[Decimal]:
    return [p.qty for p in tws.venue.positions.values() if p.qty != 0]


async def test_kill_switch_cancels_and_flattens_at_the_venue(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    tws: FakeTws,
) -> None:
    did, aid = await deploy_ibkr(make_settings, user, qualified, tws)
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        assert not (await reconcile_account(ctx, uuid.UUID(aid), actor="t", reason="start")).halted
        frames, bars = await feed(ctx, did)
        held_at = await hold_a_position(step, tws, did, frames, bars)
        [entry] = tws.venue.executions
        # the runner's next order (its exit) rests at IB: a working order of the runner's
        # connection, which no other TWS client can cancel by id
        tws.script(OrderScript(kind="rest"))
        for t in bars[held_at + 1 :]:
            tws.set_price("AAPL", open_price(frames, t))
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if len(tws.venue.orders) == 2:
                break
        [resting] = [o for o in tws.venue.orders.values() if not o.done]
        assert resting.order_ref.startswith("p")
        assert sql(
            database_url,
            "SELECT state FROM trading_paper.orders WHERE client_order_id = %s",
            resting.order_ref,
        ) == [("accepted",)]
        runner_client = resting.client_id

        # the kill switch through the API: its own connection, another client id
        async with trading_client(make_settings()) as api:
            r = await api.post(
                "/trading/kill",
                json={"reason": "test: stop everything", "account_id": aid},
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            [flatten] = r.json()["flatten_orders"]
        # at the venue: the working order cancelled (a global cancel from another client id),
        # the position flattened by one reduce-only market order under our client order id
        assert resting.status == "Cancelled"
        assert tws.global_cancels
        assert runner_client not in tws.global_cancels
        assert venue_positions(tws) == []
        [flat_order] = [o for o in tws.venue.orders.values() if o.order_ref == flatten]
        assert (flat_order.action, flat_order.total_qty, flat_order.status) == (
            "SELL",
            entry.shares,
            "Filled",
        )
        # in our books: the exit cancelled, the flatten filled (its fill imported), flat
        states = dict(
            sql(
                database_url,
                "SELECT client_order_id, state FROM trading_paper.orders WHERE account_id = %s",
                aid,
            )
        )
        assert states[resting.order_ref] == "cancelled"
        assert states[flatten] == "filled"
        assert sql(
            database_url,
            "SELECT qty FROM trading_paper.positions WHERE deployment_id = %s AND symbol = 'AAPL'",
            did,
        ) == [(Decimal(0),)]
        async with trading_client(make_settings()) as api:
            risk = (
                await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))
            ).json()
            assert (risk["state"], risk["flatten_latched"]) == ("killed", True)
            exc = (
                await api.get("/trading/exceptions", params={"account_id": aid}, headers=h(user))
            ).json()
            assert exc["items"] == []
            # a second kill sends nothing
            r = await api.post(
                "/trading/kill", json={"reason": "again", "account_id": aid}, headers=h(user)
            )
            assert r.json()["flatten_orders"] == []
        sent = len(tws.venue.orders)
        # the runner steps on: the killed account sends nothing; reconciliation is clean
        for t in bars[held_at + 1 : held_at + 8]:
            tws.set_price("AAPL", open_price(frames, t))
            await step.run(uuid.UUID(did), t, frames, replay=True)
        assert len(tws.venue.orders) == sent == 3
        report = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="after kill")
        assert not report.halted, report
        assert {i.kind for i in report.items} <= {"matched"}
    finally:
        await step.aclose()
        await ctx.aclose()


async def test_kill_while_tws_is_down_is_pending_then_sent_once(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    tws: FakeTws,
) -> None:
    from vt_db.trading_models import BrokerAccountRow
    from vt_trading.trading import service as trading_service

    did, aid = await deploy_ibkr(make_settings, user, qualified, tws)
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        assert not (await reconcile_account(ctx, uuid.UUID(aid), actor="t", reason="start")).halted
        frames, bars = await feed(ctx, did)
        await hold_a_position(step, tws, did, frames, bars)
        await step.aclose()
        async with ctx.sessionmaker() as s:
            account = await s.get(BrokerAccountRow, uuid.UUID(aid))
            assert account is not None
        port, book = tws.port, tws.venue
        await tws.stop()  # TWS is down

        assert await trading_service.kill(ctx, account.user_id, account, "test: TWS down") == []
        # the runner's supervisor retries each poll (what `_flatten_if_killed` calls)
        for _ in range(2):
            assert (
                await trading_service.kill(ctx, account.user_id, account, "breaker", actor="risk")
                == []
            )
        [(state, latched)] = sql(
            database_url,
            "SELECT state, flatten_latched FROM trading_paper.risk_states "
            "WHERE account_id = %s AND deployment_id IS NULL",
            aid,
        )
        assert (state, latched) == ("killed", False)
        [(kind, detail)] = sql(
            database_url,
            "SELECT kind, detail FROM trading_paper.exceptions WHERE account_id = %s",
            aid,
        )
        assert kind == "kill_pending"
        assert "retries" in detail
        assert len(book.orders) == 1  # nothing was sent
        assert [p.qty for p in book.positions.values() if p.qty] == [book.executions[0].shares]

        # TWS is back (same port, same book): the next retry cancels, latches and flattens once
        back = await FakeTws(port=port, venue=book).start()
        try:
            [flatten] = await trading_service.kill(
                ctx, account.user_id, account, "circuit breaker", actor="risk"
            )
            assert venue_positions(back) == []
            assert [o.order_ref for o in book.orders.values()][-1] == flatten
            for _ in range(2):
                assert (
                    await trading_service.kill(
                        ctx, account.user_id, account, "circuit breaker", actor="risk"
                    )
                    == []
                )
            assert len(book.orders) == 2
            assert sql(
                database_url,
                "SELECT state FROM trading_paper.orders WHERE client_order_id = %s",
                flatten,
            ) == [("filled",)]
        finally:
            await back.stop()
    finally:
        await step.aclose()
        await ctx.aclose()


FUTURES = [
    pytest.param("FUT:MCL:NYMEX", "MCL", Decimal(100), id="MCL-100"),
    pytest.param("FUT:MBT:CME", "MBT", Decimal("0.1"), id="MBT-0.1"),
]


def future_map(traded: str, multiplier: Decimal) -> list[dict[str, str]]:
    return [
        {
            "signal_symbol": "SAMPLE:AAPL",
            "traded_symbol": traded,
            "multiplier": str(multiplier),
            "currency": "USD",
        }
    ]


@pytest.mark.parametrize(("traded", "root", "mult"), FUTURES)
async def test_futures_multiplier_through_sizing_pnl_and_reconciliation(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    tws: FakeTws,
    traded: str,
    root: str,
    mult: Decimal,
) -> None:
    """The signal trades the front future: contracts = signal quantity / multiplier; fills,
    P&L marks and positions carry the multiplier — also for a fill that only reconciliation
    (a fresh IB connection) imports."""
    did, aid = await deploy_ibkr(
        make_settings, user, qualified, tws, instrument_map=future_map(traded, mult)
    )
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        assert not (await reconcile_account(ctx, uuid.UUID(aid), actor="t", reason="start")).halted
        frames, bars = await feed(ctx, did)
        entry_at = None
        for entry_at, t in enumerate(bars):  # noqa: B007 - the exit starts after it
            tws.set_price(root, open_price(frames, t))
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if tws.venue.executions:
                break
        [entry] = tws.venue.executions
        assert entry_at is not None
        assert entry.contract.symbol == root
        assert entry.contract.multiplier == mult
        # sizing: the target in contracts is the signal quantity over the multiplier (the
        # snapshot at the close of the entry bar holds what the model holds after the entry)
        [(lines, model)] = sql(
            database_url,
            "SELECT lines, model FROM trading_paper.target_snapshots WHERE deployment_id = %s "
            "ORDER BY seq DESC LIMIT 1",
            did,
        )
        signal_qty = Decimal(repr(float(model["positions"]["SAMPLE:AAPL"])))
        assert Decimal(lines[0]["target_qty"]) == signal_qty / mult
        assert entry.shares == (signal_qty / mult).to_integral_value(rounding="ROUND_DOWN")
        assert entry.shares > 0
        assert entry.commission == Decimal("0.85") * entry.shares  # per contract
        # the position and its marks carry the multiplier
        [(qty, pos_mult, avg, last)] = sql(
            database_url,
            "SELECT qty, multiplier, avg_price, last_price FROM trading_paper.positions "
            "WHERE deployment_id = %s AND symbol = %s",
            did,
            traded,
        )
        assert (qty, pos_mult, avg) == (entry.shares, mult, entry.price)
        [(unrealized,)] = sql(
            database_url,
            "SELECT unrealized_pnl FROM trading_paper.pnl_marks WHERE deployment_id = %s "
            "ORDER BY ts DESC LIMIT 1",
            did,
        )
        assert unrealized == pytest.approx(float(qty * (last - avg) * mult))

        # the exit rests at IB and fills between two steps: reconciliation imports that fill
        tws.script(OrderScript(kind="rest"))
        for t in bars[entry_at + 1 :]:
            tws.set_price(root, open_price(frames, t))
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if len(tws.venue.orders) == 2:
                break
        assert len(tws.venue.orders) == 2, "the strategy never exited"
        tws.set_price(root, entry.price + Decimal(3))
        [exit_] = tws.match_working()
        report = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="between")
        assert not report.halted, report
        assert [(i.kind, i.client_order_id) for i in report.items if i.kind != "matched"] == [
            ("missing_fill_ours", exit_.order_ref)
        ]
        # P&L: (exit - entry) x contracts x multiplier - fees, as the venue booked it
        [(qty, realized, fees)] = sql(
            database_url,
            "SELECT qty, realized_pnl, fees FROM trading_paper.positions "
            "WHERE deployment_id = %s AND symbol = %s",
            did,
            traded,
        )
        assert qty == 0
        assert fees == entry.commission + exit_.commission
        assert realized == (exit_.price - entry.price) * entry.shares * mult - fees
        assert realized == entry.realized_pnl + exit_.realized_pnl  # the fake's own books
        again = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="again")
        assert {i.kind for i in again.items} <= {"matched"}
    finally:
        await step.aclose()
        await ctx.aclose()


async def test_a_multiplier_that_disagrees_with_ib_sends_nothing(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    tws: FakeTws,
) -> None:
    from vt_trading.brokers.base import InstrumentMismatch

    did, aid = await deploy_ibkr(
        make_settings, user, qualified, tws, instrument_map=future_map("FUT:MCL:NYMEX", Decimal(1))
    )
    ctx = await TradingContext.create(make_settings(), redis)
    step = BarStep(ctx, None)
    try:
        assert not (await reconcile_account(ctx, uuid.UUID(aid), actor="t", reason="start")).halted
        frames, bars = await feed(ctx, did)

        async def run_bars() -> None:
            for t in bars:
                tws.set_price("MCL", open_price(frames, t))
                await step.run(uuid.UUID(did), t, frames, replay=True)

        with pytest.raises(InstrumentMismatch, match="multiplier 1, ibkr says 100"):
            await run_bars()
        assert tws.venue.orders == {}
        [(kind, dep)] = sql(
            database_url,
            "SELECT kind, deployment_id::text FROM trading_paper.exceptions WHERE account_id = %s",
            aid,
        )
        assert (kind, dep) == ("instrument_mismatch", did)
    finally:
        await step.aclose()
        await ctx.aclose()
