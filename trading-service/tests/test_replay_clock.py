"""The replay clock against real PostgreSQL/Redis and the real services: a kill flattens
deployments whose clock has ended (stopped, replay finished), expiry counts bar time in a replay,
the daily/weekly breakers follow the bars' sessions, and a losing streak pauses a deployment
through the real runner until a person resumes it."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from redis.asyncio import Redis
from test_replay_parity import PERIOD, all_pages
from tr_testkit import (
    NON_BINDING_LIMITS,
    h,
    run_backtest,
    save_strategy,
    sql,
    trading_client,
    wait_for,
)

from vt_contracts import StrategySpec
from vt_contracts.examples import sma_crossover_spec
from vt_db.trading_models import DeploymentRow
from vt_trading.context import TradingContext
from vt_trading.ledger.positions import LedgerFill, round_trips
from vt_trading.paper.matching import CostModel, to_decimal
from vt_trading.runner.step import BarStep
from vt_trading.runner.supervisor import load_frames
from vt_trading.trading.flatten import settle_ended_scopes

TEN_DP = Decimal("1e-10")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def qualify(
    database_url: str, backtest_url: str, user: str, spec: dict[str, Any]
) -> dict[str, Any]:
    sid, _ = save_strategy(database_url, user, spec)
    return {"strategy_id": sid, "run": await run_backtest(backtest_url, user, spec), "spec": spec}


async def deploy(
    api: Any,
    user: str,
    q: dict[str, Any],
    limits: dict[str, Any] | None = None,
    replay: dict[str, Any] | None = None,
    **extra: Any,
) -> tuple[str, str]:
    acct = (
        await api.post(
            "/accounts",
            json={
                "name": f"clock {uuid.uuid4().hex[:6]}",
                "risk_limits": limits or NON_BINDING_LIMITS,
                "starting_cash": "100000",  # the deployment is the whole account
            },
            headers=h(user),
        )
    ).json()
    body = {
        "strategy_id": q["strategy_id"],
        "backtest_id": q["run"]["id"],
        "capital": "100000",
        "account_id": acct["id"],
        "acknowledge_failed_gates": True,
        "replay": replay or {**PERIOD, "bars_per_second": 10000},
        **extra,
    }
    r = await api.post("/deployments", json=body, headers=h(user))
    assert r.status_code == 201, r.text
    return r.json()["id"], acct["id"]


async def frames_of(
    ctx: TradingContext, did: str, start: date, end: date
) -> tuple[dict[str, pd.DataFrame], list[pd.Timestamp]]:
    async with ctx.sessionmaker() as session:
        dep = await session.get(DeploymentRow, uuid.UUID(did))
        assert dep is not None
    frames = await load_frames(ctx, dep, StrategySpec.model_validate(dep.spec), start, end)
    lo = pd.Timestamp(start, tz="UTC")
    return frames, [t for t in frames["SAMPLE:AAPL"].index if t >= lo]


def held(database_url: str, did: str) -> Decimal:
    qty: Decimal = sql(
        database_url,
        "SELECT coalesce(sum(qty), 0) FROM trading_paper.positions WHERE deployment_id = %s",
        did,
    )[0][0]
    return qty


async def audit_kinds(api: Any, user: str, aid: str) -> list[dict[str, Any]]:
    page = (
        await api.get("/trading/audit", params={"account_id": aid, "limit": 500}, headers=h(user))
    ).json()
    assert page["verified"] is True
    items: list[dict[str, Any]] = page["items"]
    return items


# --- 1. a kill flattens deployments whose clock has ended --------------------------------------


async def test_kill_flattens_a_stopped_deployment_at_the_next_bars_open(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
    redis: Redis,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    async with trading_client(make_settings()) as api:
        did, aid = await deploy(api, user, q)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await frames_of(ctx, did, date(2010, 1, 1), date(2011, 12, 31))
        step = BarStep(ctx, None)
        at = None
        for i, t in enumerate(bars):
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if held(database_url, did) != 0:
                at = i
                break
        assert at is not None, "the strategy never took a position"
        qty = held(database_url, did)
    finally:
        await ctx.aclose()
    async with trading_client(make_settings()) as api:
        r = await api.post(f"/deployments/{did}/stop", headers=h(user))
        assert r.status_code == 200, r.text
        r = await api.post(
            "/trading/kill",
            json={"reason": "test: flatten a stopped one", "account_id": aid},
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        [coid] = r.json()["flatten_orders"]
        # the stopped deployment is never stepped again, yet the killed account ends flat
        assert held(database_url, did) == 0
        fills = await all_pages(api, f"/deployments/{did}/fills", user)
        [flat] = [f for f in fills if f["client_order_id"] == coid]
        nxt = bars[at + 1]
        assert datetime.fromisoformat(flat["ts"]) == nxt.to_pydatetime()
        assert flat["side"] == "sell"
        assert Decimal(flat["qty"]) == qty
        costs = CostModel.from_spec(StrategySpec.model_validate(spec))
        open_ = float(frames["SAMPLE:AAPL"]["open"].loc[nxt])
        fill = costs.fill_price("sell", open_)
        # the spec's slippage and commission, as the venue stores them (10 decimal places)
        assert Decimal(flat["price"]) == to_decimal(fill).quantize(TEN_DP)
        assert Decimal(flat["fees"]) == to_decimal(costs.fee(float(qty), fill)).quantize(TEN_DP)
        orders = await all_pages(api, f"/deployments/{did}/orders", user)
        [order] = [o for o in orders if o["client_order_id"] == coid]
        assert (order["state"], order["reason"]) == ("filled", "kill_flatten:next_open")
        entries = [
            e for e in await audit_kinds(api, user, aid) if e["kind"] == "paper.flatten_fill"
        ]
        assert [e["record"]["basis"] for e in entries] == ["next_open"]
        # the account's positions say the same
        risk = (await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))).json()
        assert risk["state"] == "killed"
        assert risk["flatten_latched"] is True


async def test_kill_after_a_finished_replay_ends_flat(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
    redis: Redis,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    # end the replay inside a trade the backtest held for a while: the replay (== backtest)
    # still holds it when its clock ends
    trades = [t for t in q["run"]["result"]["trades"] if t.get("exit_time")]
    long_one = next(
        t
        for t in trades
        if datetime.fromisoformat(t["exit_time"]) - datetime.fromisoformat(t["entry_time"])
        > timedelta(days=20)
    )
    end = (datetime.fromisoformat(long_one["entry_time"]) + timedelta(days=10)).date()
    async with trading_client(make_settings(TRADING_RUNNER=True)) as api:
        did, aid = await deploy(
            api,
            user,
            q,
            replay={"start": PERIOD["start"], "end": end.isoformat(), "bars_per_second": 10000},
        )

        async def finished() -> bool:
            body = (await api.get(f"/deployments/{did}", headers=h(user))).json()
            assert body["status"] == "running", body
            return bool(body["replay"]["finished"])

        await wait_for(finished, within=300, every=0.3)
        qty = held(database_url, did)
        assert qty > 0
        last_bar = sql(
            database_url, "SELECT last_bar_at FROM trading_paper.deployments WHERE id = %s", did
        )[0][0]
        r = await api.post(
            "/trading/kill",
            json={"reason": "test: replay is over", "account_id": aid},
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        [coid] = r.json()["flatten_orders"]
        assert held(database_url, did) == 0
        fills = await all_pages(api, f"/deployments/{did}/fills", user)
        [flat] = [f for f in fills if f["client_order_id"] == coid]
        assert last_bar.date() <= end
        # the sample data go on after the replay's end: the open of the first bar after the
        # last one the replay processed, with the spec's slippage and commission
        ctx = await TradingContext.create(make_settings(), redis)
        try:
            frames, bars = await frames_of(ctx, did, date(2010, 1, 1), date(2012, 12, 31))
        finally:
            await ctx.aclose()
        nxt = next(t for t in bars if t > pd.Timestamp(last_bar))
        assert nxt.date() > end  # beyond the replay's end: no bar of its clock
        assert datetime.fromisoformat(flat["ts"]) == nxt.to_pydatetime()
        assert (flat["side"], Decimal(flat["qty"])) == ("sell", qty)
        costs = CostModel.from_spec(StrategySpec.model_validate(spec))
        fill = costs.fill_price("sell", float(frames["SAMPLE:AAPL"]["open"].loc[nxt]))
        assert Decimal(flat["price"]) == to_decimal(fill).quantize(TEN_DP)
        assert Decimal(flat["fees"]) == to_decimal(costs.fee(float(qty), fill)).quantize(TEN_DP)
        orders = await all_pages(api, f"/deployments/{did}/orders", user)
        [order] = [o for o in orders if o["client_order_id"] == coid]
        assert (order["state"], order["reason"]) == ("filled", "kill_flatten:next_open")
        [entry] = [
            e for e in await audit_kinds(api, user, aid) if e["kind"] == "paper.flatten_fill"
        ]
        assert entry["record"]["basis"] == "next_open"
        assert datetime.fromisoformat(entry["record"]["bar_at"]) == nxt.to_pydatetime()


async def test_an_ended_scope_is_settled_on_the_paper_venue_only(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
    redis: Redis,
) -> None:
    """A kill's flatten resting on a deployment that then stops: the paper venue fills it at
    once; an account on a real venue would not (its exchange fills its own orders)."""
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    async with trading_client(make_settings()) as api:
        did, aid = await deploy(api, user, q)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await frames_of(ctx, did, date(2010, 1, 1), date(2011, 12, 31))
        step = BarStep(ctx, None)
        for t in bars:
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if held(database_url, did) != 0:
                break
        assert held(database_url, did) != 0, "the strategy never took a position"
        async with trading_client(make_settings()) as api:
            # killed while it still steps: the flatten rests for the deployment's next bar
            r = await api.post(
                "/trading/kill",
                json={"reason": "test: venue guard", "account_id": aid},
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            [coid] = r.json()["flatten_orders"]
            assert held(database_url, did) != 0
            r = await api.post(f"/deployments/{did}/stop", headers=h(user))
            assert r.status_code == 200, r.text

            async def filled() -> bool:
                state = sql(
                    database_url,
                    "SELECT state FROM trading_paper.orders WHERE client_order_id = %s",
                    coid,
                )[0][0]
                return bool(state == "filled")

            # the stop settles it (after its commit): the stopped deployment gets no next bar
            await wait_for(filled, within=30)
            assert held(database_url, did) == 0
            orders = await all_pages(api, f"/deployments/{did}/orders", user)
            [order] = [o for o in orders if o["client_order_id"] == coid]
            assert order["reason"] == "kill_flatten:next_open"
    finally:
        await ctx.aclose()


async def test_settling_ended_scopes_leaves_a_real_venues_orders_alone(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
    redis: Redis,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    async with trading_client(make_settings()) as api:
        did, aid = await deploy(api, user, q)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await frames_of(ctx, did, date(2010, 1, 1), date(2011, 12, 31))
        step = BarStep(ctx, None)
        for t in bars:
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if held(database_url, did) != 0:
                break
        assert held(database_url, did) != 0, "the strategy never took a position"
        async with trading_client(make_settings()) as api:
            r = await api.post(
                "/trading/kill",
                json={"reason": "test: venue guard", "account_id": aid},
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            [coid] = r.json()["flatten_orders"]
        # the same resting flatten on an ended scope, but the account is on an exchange
        sql(
            database_url,
            "UPDATE trading_paper.deployments SET status = 'stopped' WHERE id = %s",
            did,
        )
        sql(
            database_url,
            "UPDATE trading_paper.broker_accounts SET venue = 'ccxt:binance' WHERE id = %s",
            aid,
        )
        assert await settle_ended_scopes(ctx, uuid.UUID(aid)) == []
        state = sql(
            database_url, "SELECT state FROM trading_paper.orders WHERE client_order_id = %s", coid
        )[0][0]
        assert state == "accepted"
        assert held(database_url, did) != 0
        # back on the paper venue, the same call fills it
        sql(
            database_url,
            "UPDATE trading_paper.broker_accounts SET venue = 'paper' WHERE id = %s",
            aid,
        )
        assert await settle_ended_scopes(ctx, uuid.UUID(aid)) == [coid]
        assert held(database_url, did) == 0
    finally:
        await ctx.aclose()


# --- 2. expiry counts bar time in a replay ------------------------------------------------------


async def test_a_replay_expires_on_bar_time_when_never_triggered(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
    redis: Redis,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    # start the replay after an exit with a long quiet stretch before the next entry: the
    # crossover has nothing to say for more than the expiry's 10 days of bar time
    trades = sorted(q["run"]["result"]["trades"], key=lambda t: t["entry_time"])
    start = next(
        datetime.fromisoformat(a["exit_time"]) + timedelta(days=1)
        for a, b in itertools.pairwise(trades)
        if datetime.fromisoformat(b["entry_time"]) - datetime.fromisoformat(a["exit_time"])
        > timedelta(days=25)
    ).date()
    expires = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=10)
    replay = {"start": start.isoformat(), "end": PERIOD["end"], "bars_per_second": 10000}
    async with trading_client(make_settings(TRADING_RUNNER=True)) as api:
        did, aid = await deploy(api, user, q, replay=replay, expires_after_days=10)
        dep = (await api.get(f"/deployments/{did}", headers=h(user))).json()
        assert datetime.fromisoformat(dep["expires_at"]) == expires  # on the replay's clock

        async def over() -> dict[str, Any] | None:
            body: dict[str, Any] = (await api.get(f"/deployments/{did}", headers=h(user))).json()
            return body if body["status"] != "running" or body["replay"]["finished"] else None

        dep = await wait_for(over, within=300, every=0.3)
        assert dep["status"] == "expired", dep
        assert not dep["replay"]["finished"]
        ctx = await TradingContext.create(make_settings(), redis)
        try:
            _frames, bars = await frames_of(ctx, did, start, date(2011, 12, 31))
        finally:
            await ctx.aclose()
        # stepped every bar before the expiry on bar time, and expired on the first bar at or
        # after it (the wall clock, years later, would have expired it before its first bar)
        first_due = next(i for i, t in enumerate(bars) if t >= pd.Timestamp(expires))
        assert first_due > 0
        assert datetime.fromisoformat(dep["last_bar_at"]) == bars[first_due - 1].to_pydatetime()
        assert dep["replay"]["bars_done"] == first_due
        [entry] = [
            e for e in await audit_kinds(api, user, aid) if e["kind"] == "deployment.expired"
        ]
        assert entry["record"]["clock"] == "replay"
        assert datetime.fromisoformat(entry["record"]["at"]) == bars[first_due].to_pydatetime()
        assert datetime.fromisoformat(entry["record"]["expires_at"]) == expires
        why = sql(
            database_url, "SELECT status_reason FROM trading_paper.deployments WHERE id = %s", did
        )[0][0]
        assert "on the replay clock" in why, why
        # never triggered: nothing was sent
        assert await all_pages(api, f"/deployments/{did}/orders", user) == []


# --- 3. daily and weekly breakers follow the bars' sessions -------------------------------------


async def test_account_breakers_follow_the_replays_sessions_and_weeks(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
    redis: Redis,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    # a tiny daily halt so that an ordinary down day while holding trips it
    limits = {**NON_BINDING_LIMITS, "daily_halt_pct": 0.5}
    async with trading_client(make_settings()) as api:
        did, aid = await deploy(api, user, q, limits=limits)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await frames_of(ctx, did, date(2010, 1, 1), date(2011, 12, 31))
        step = BarStep(ctx, None)

        def account_state() -> dict[str, Any]:
            data: dict[str, Any] = sql(
                database_url,
                "SELECT data FROM trading_paper.risk_states WHERE account_id = %s "
                "AND deployment_id IS NULL",
                aid,
            )[0][0]
            return data

        await step.run(uuid.UUID(did), bars[0], frames, replay=True)
        first = account_state()
        # the account was created today; its session is now the replay's first bar's day
        assert first["clock"] == "replay:2010-01-01"
        assert first["session_day"] == bars[0].date().isoformat()
        kinds: list[tuple[str, str]] = []
        tripped_at = None
        for i, t in enumerate(bars[1:200], start=1):
            out = await step.run(uuid.UUID(did), t, frames, replay=True)
            account = [e for k, e in out.events if k == "risk" and "deployment_id" not in e]
            kinds += [(e["kind"], t.date().isoformat()) for e in account]
            if tripped_at is None and any(e["kind"] == "tripped_daily" for e in account):
                tripped_at = i
            if tripped_at is not None and i > tripped_at:
                break
        assert tripped_at is not None, "no down day of 0.5 % of the account while holding"
        # halted on that bar's day; the replay's next session lifts it (not the wall clock's)
        lifted = [d for k, d in kinds if k == "halt_lifted"]
        assert lifted == [bars[tripped_at + 1].date().isoformat()], kinds
        now = account_state()
        last = bars[tripped_at + 1].date()
        assert now["session_day"] == last.isoformat()
        assert now["week_start"] == (last - timedelta(days=last.weekday())).isoformat()
    finally:
        await ctx.aclose()


# --- 4. a losing streak pauses the deployment through the runner; resume lifts it --------------


def losing_streak(fills: list[dict[str, Any]]) -> tuple[int, datetime | None]:
    """The losing round trips closed in a row at the end of ``fills``, and the last exit."""
    trips = round_trips(
        [
            LedgerFill(
                execution_id=f["execution_id"],
                side=f["side"],
                qty=Decimal(f["qty"]),
                price=Decimal(f["price"]),
                fees=Decimal(f["fees"]),
                symbol=f["symbol"],
                ts=datetime.fromisoformat(f["ts"]),
            )
            for f in sorted(fills, key=lambda f: f["ts"])
        ]
    )
    streak, last = 0, None
    for rt in trips:
        if rt.is_open:
            continue
        streak = streak + 1 if rt.pnl < 0 else 0
        last = rt.exit_time
    return streak, last


async def test_five_losing_round_trips_pause_the_deployment_until_resumed(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
) -> None:
    # a fast crossover paying 1.5 % a side: nearly every round trip loses
    spec = sma_crossover_spec(
        "SAMPLE:AAPL", 3, 8, period=PERIOD, costs={"commission_pct": 1.5, "slippage_pct": 0.1}
    )
    q = await qualify(database_url, backtest_url, user, spec)
    pnls = [float(t["pnl"]) for t in q["run"]["result"]["trades"]]
    assert any(all(p < 0 for p in pnls[i : i + 5]) for i in range(len(pnls) - 4)), pnls
    limits = {**NON_BINDING_LIMITS, "max_consecutive_losses": 5}
    async with trading_client(make_settings(TRADING_RUNNER=True)) as api:
        did, aid = await deploy(api, user, q, limits=limits)

        async def stopped() -> dict[str, Any] | None:
            body: dict[str, Any] = (await api.get(f"/deployments/{did}", headers=h(user))).json()
            return body if body["status"] != "running" or body["replay"]["finished"] else None

        dep = await wait_for(stopped, within=300, every=0.2)
        assert dep["status"] == "paused", dep
        assert dep["risk_state"] == "paused"
        why = sql(
            database_url, "SELECT status_reason FROM trading_paper.deployments WHERE id = %s", did
        )[0][0]
        assert "5 losing round trips" in why, why
        fills = await all_pages(api, f"/deployments/{did}/fills", user)
        streak, last_exit = losing_streak(fills)
        assert streak == 5
        # paused on the bar that closed the fifth loser, not later
        assert datetime.fromisoformat(dep["last_bar_at"]) == last_exit
        assert not any(f for f in fills if datetime.fromisoformat(f["ts"]) > last_exit)
        paused_at = dep["replay"]["bars_done"]
        [paused] = [
            e for e in await audit_kinds(api, user, aid) if e["kind"] == "deployment.paused"
        ]
        assert paused["actor"] == "risk"
        assert datetime.fromisoformat(paused["record"]["bar_at"]) == last_exit
        # the pause holds: a replay at 10,000 bars/s does not move for many runner polls
        # (0.2 s), nor does the replay's next session lift it
        await asyncio.sleep(2.0)
        body = (await api.get(f"/deployments/{did}", headers=h(user))).json()
        assert (body["status"], body["risk_state"]) == ("paused", "paused")
        assert body["replay"]["bars_done"] == paused_at
        assert body["last_bar_at"] == dep["last_bar_at"]
        r = await api.post(f"/deployments/{did}/resume", headers=h(user))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["status"], body["risk_state"]) == ("running", "active")
        kinds = [e["kind"] for e in await audit_kinds(api, user, aid)]
        assert {"deployment.resume", "risk.resumed"} <= set(kinds)

        async def moved() -> bool:
            b = (await api.get(f"/deployments/{did}", headers=h(user))).json()
            return bool(b["replay"]["bars_done"] > paused_at)

        await wait_for(moved, within=120, every=0.2)
        [resumed] = [e for e in await audit_kinds(api, user, aid) if e["kind"] == "risk.resumed"]
        assert resumed["actor"] == user
        assert (resumed["record"]["from"], resumed["record"]["to"]) == ("paused", "active")


# --- a breaker's kill (drawdown) cancels and flattens like the kill switch ----------------------


async def test_a_drawdown_kill_in_a_replay_flattens_the_account(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    q = await qualify(database_url, backtest_url, user, spec)
    limits = {**NON_BINDING_LIMITS, "drawdown_kill_pct": 3}
    async with trading_client(make_settings(TRADING_RUNNER=True)) as api:
        did, aid = await deploy(api, user, q, limits=limits)

        async def flattened() -> dict[str, Any] | None:
            risk: dict[str, Any] = (
                await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))
            ).json()
            done = risk["state"] == "killed" and risk["flatten_latched"]
            return risk if done and held(database_url, did) == 0 else None

        risk = await wait_for(flattened, within=300, every=0.3)
        assert [b["tripped"] for b in risk["breakers"] if b["name"] == "drawdown"] == [True]
        kills = [e for e in await audit_kinds(api, user, aid) if e["kind"] == "risk.kill"]
        assert [e["actor"] for e in kills] == ["risk"]
        orders = await all_pages(api, f"/deployments/{did}/orders", user)
        flat = [o for o in orders if o["reason"].startswith("kill_flatten")]
        assert [(o["state"], o["reduce_only"]) for o in flat] == [("filled", True)]

        # the replay goes on to its end killed: no new risk, and the flatten is sent once
        async def finished() -> bool:
            b = (await api.get(f"/deployments/{did}", headers=h(user))).json()
            return bool(b["replay"]["finished"])

        await wait_for(finished, within=300, every=0.3)
        assert held(database_url, did) == 0
        entries = await audit_kinds(api, user, aid)
        assert [e["kind"] for e in entries].count("risk.kill") == 1
        assert [e["kind"] for e in entries].count("risk.flatten_latched") == 1
        orders = await all_pages(api, f"/deployments/{did}/orders", user)
        flat_ids = {o["client_order_id"] for o in orders if o["reason"].startswith("kill_flatten")}
        assert flat_ids == {flat[0]["client_order_id"]}
