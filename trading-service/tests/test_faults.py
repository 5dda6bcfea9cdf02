"""Faults against real PostgreSQL/Redis and the real services: a crash between submission and
acknowledgement, the kill switch and its latch across a restart, two runners for one account,
stale data, duplicate executions, reconciling twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from redis.asyncio import Redis
from test_replay_parity import PERIOD
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
from vt_trading.execution.service import ingest_execution
from vt_trading.runner import lease as lease_mod
from vt_trading.runner.step import BarStep
from vt_trading.runner.supervisor import RunnerSupervisor, load_frames
from vt_trading.trading import recovery


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs, every committed row stays."""


@pytest.fixture
async def qualified(
    database_url: str, backtest_url: str, backtest_worker: None, user: str
) -> dict[str, Any]:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    sid, _ = save_strategy(database_url, user, spec)
    run = await run_backtest(backtest_url, user, spec)
    return {"strategy_id": sid, "run": run}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def deploy(
    make_settings: Any, user: str, qualified: dict[str, Any], **extra: Any
) -> tuple[str, str]:
    """(deployment id, account id) of a replay deployment on a fresh loose-limit account."""
    async with trading_client(make_settings()) as api:
        acct = (
            await api.post(
                "/accounts",
                json={"name": f"acct {uuid.uuid4().hex[:6]}", "risk_limits": NON_BINDING_LIMITS},
                headers=h(user),
            )
        ).json()
        body = {
            "strategy_id": qualified["strategy_id"],
            "backtest_id": qualified["run"]["id"],
            "capital": "100000",
            "account_id": acct["id"],
            "acknowledge_failed_gates": True,
            "replay": {**PERIOD, "bars_per_second": 10000},
            **extra,
        }
        r = await api.post("/deployments", json=body, headers=h(user))
        assert r.status_code == 201, r.text
        return r.json()["id"], acct["id"]


async def feed(
    ctx: TradingContext, deployment_id: str
) -> tuple[dict[str, pd.DataFrame], list[Any]]:
    async with ctx.sessionmaker() as session:
        dep = await session.get(DeploymentRow, uuid.UUID(deployment_id))
        assert dep is not None
    spec = StrategySpec.model_validate(dep.spec)
    frames = await load_frames(ctx, dep, spec, date(2010, 1, 1), date(2011, 12, 31))
    idx = frames["SAMPLE:AAPL"].index
    return frames, [t for t in idx if t >= pd.Timestamp("2010-01-01", tz="UTC")]


async def test_crash_between_submission_and_ack_is_flagged_and_never_resent(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis, database_url: str
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)

        async def crash(name: str) -> None:
            if name == "after_broker":
                raise Crash

        step.crash_point = crash  # type: ignore[method-assign]
        crashed_at = None
        for i, t in enumerate(bars):
            try:
                await step.run(uuid.UUID(did), t, frames, replay=True)
            except Crash:
                crashed_at = i
                break
        assert crashed_at is not None, "the strategy never traded"
    finally:
        await ctx.aclose()
    pending = sql(
        database_url,
        "SELECT client_order_id FROM trading_paper.orders WHERE account_id = %s AND state = 'submitting'",
        aid,
    )
    assert len(pending) == 1
    coid = pending[0][0]
    # the venue has it: the submission did arrive before the crash
    assert sql(
        database_url,
        "SELECT count(*) FROM trading_paper.paper_orders WHERE account_id = %s AND client_order_id = %s",
        aid,
        coid,
    ) == [(1,)]

    # restart: a new process recovers the account
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        assert await recovery.recover_account(ctx, uuid.UUID(aid)) == 1
        assert sql(
            database_url,
            "SELECT state FROM trading_paper.orders WHERE account_id = %s AND client_order_id = %s",
            aid,
            coid,
        ) == [("unknown",)]
        async with trading_client(make_settings()) as api:
            risk = (
                await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))
            ).json()
            assert risk["state"] == "halted"
            exc = (
                await api.get("/trading/exceptions", params={"account_id": aid}, headers=h(user))
            ).json()
            kinds = [e["kind"] for e in exc["items"]]
            assert "ambiguous_submission" in kinds
            assert coid in str(exc)
        markets_before = sql(
            database_url,
            "SELECT count(*) FROM trading_paper.paper_orders WHERE account_id = %s AND type = 'market'",
            aid,
        )
        # the next bars run; nothing is re-sent and no new risk is taken while halted
        step = BarStep(ctx, None)
        for t in bars[crashed_at + 1 : crashed_at + 6]:
            await step.run(uuid.UUID(did), t, frames, replay=True)
        assert sql(
            database_url,
            "SELECT count(*) FROM trading_paper.paper_orders WHERE account_id = %s AND client_order_id = %s",
            aid,
            coid,
        ) == [(1,)]
        assert (
            sql(
                database_url,
                "SELECT count(*) FROM trading_paper.paper_orders WHERE account_id = %s AND type = 'market'",
                aid,
            )
            == markets_before
        )
    finally:
        await ctx.aclose()


async def test_kill_switch_and_latch_survive_a_restart(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis, database_url: str
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)
        held_at = None
        for i, t in enumerate(bars):
            await step.run(uuid.UUID(did), t, frames, replay=True)
            qty = sql(
                database_url,
                "SELECT coalesce(sum(qty), 0) FROM trading_paper.positions WHERE deployment_id = %s",
                did,
            )[0][0]
            if qty != 0:
                held_at = i
                break
        assert held_at is not None
        async with trading_client(make_settings()) as api:
            r = await api.post(
                "/trading/kill",
                json={"reason": "test: stop everything", "account_id": aid},
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            flatten = r.json()["flatten_orders"]
            assert len(flatten) == 1
            risk = (
                await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))
            ).json()
            assert risk["state"] == "killed"
            assert risk["flatten_latched"] is True
        # nothing else is working: every other order was cancelled
        working = sql(
            database_url,
            "SELECT client_order_id FROM trading_paper.orders WHERE account_id = %s "
            "AND state IN ('new','submitting','accepted','partially_filled')",
            aid,
        )
        assert [w[0] for w in working] == flatten
        orders_before = sql(
            database_url, "SELECT count(*) FROM trading_paper.orders WHERE account_id = %s", aid
        )
        # restart: the state and the latch are still there; a second kill does not flatten again
        async with trading_client(make_settings()) as api:
            risk = (
                await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))
            ).json()
            assert risk["state"] == "killed"
            assert risk["flatten_latched"] is True
            r = await api.post(
                "/trading/kill", json={"reason": "again", "account_id": aid}, headers=h(user)
            )
            assert r.json()["flatten_orders"] == []
        await recovery.recover_account(ctx, uuid.UUID(aid))
        assert (
            sql(
                database_url, "SELECT count(*) FROM trading_paper.orders WHERE account_id = %s", aid
            )
            == orders_before
        )
        # the next bar fills the flatten; the killed account takes no new risk
        for t in bars[held_at + 1 : held_at + 30]:
            await step.run(uuid.UUID(did), t, frames, replay=True)
        assert sql(
            database_url,
            "SELECT coalesce(sum(qty), 0) FROM trading_paper.positions WHERE deployment_id = %s",
            did,
        ) == [(Decimal(0),)]
        async with trading_client(make_settings()) as api:
            r = await api.post(
                "/trading/rearm", json={"reason": "x", "account_id": aid}, headers=h(user)
            )
            assert r.status_code == 422  # a reason of at least 3 characters
            r = await api.post(
                "/trading/rearm",
                json={"reason": "reviewed, resuming", "account_id": aid},
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            assert r.json()["state"] == "active"
            audit = (
                await api.get(
                    "/trading/audit", params={"account_id": aid, "limit": 500}, headers=h(user)
                )
            ).json()
            kinds = [e["kind"] for e in audit["items"]]
            assert {"risk.kill", "risk.flatten_latched", "risk.rearm"} <= set(kinds)
            assert audit["verified"] is True
    finally:
        await ctx.aclose()


async def test_two_runners_one_account_only_one_trades(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis, database_url: str
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    ctx_a = await TradingContext.create(make_settings(), redis)
    ctx_b = await TradingContext.create(make_settings(), redis)
    a = RunnerSupervisor(ctx_a, holder="replica-a")
    b = RunnerSupervisor(ctx_b, holder="replica-b")
    try:
        await asyncio.gather(a.scan(), b.scan())
        owners = [s.holder for s in (a, b) if uuid.UUID(aid) in s.runners]
        assert len(owners) == 1, owners

        async def finished() -> bool:
            rows = sql(
                database_url,
                "SELECT finished FROM trading_paper.replay_clocks WHERE deployment_id = %s",
                did,
            )
            await a.scan()
            await b.scan()
            return bool(rows and rows[0][0])

        await wait_for(finished, within=300, every=0.5)
        tokens = sql(
            database_url,
            "SELECT DISTINCT lease_token FROM trading_paper.orders WHERE account_id = %s",
            aid,
        )
        assert len(tokens) == 1
        assert sql(
            database_url,
            "SELECT holder FROM trading_paper.runner_leases WHERE account_id = %s",
            aid,
        ) == [(owners[0],)]
    finally:
        await a.stop()
        await b.stop()
        await ctx_a.aclose()
        await ctx_b.aclose()


async def test_a_dead_runners_lease_expires_and_is_fenced(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis
) -> None:
    _did, aid = await deploy(make_settings, user, qualified)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        async with ctx.sessionmaker() as s, s.begin():
            dead = await lease_mod.acquire(s, uuid.UUID(aid), "dead-replica", 0.3)
        assert dead is not None
        async with ctx.sessionmaker() as s, s.begin():
            assert await lease_mod.acquire(s, uuid.UUID(aid), "live-replica", 5) is None
        await asyncio.sleep(0.5)
        async with ctx.sessionmaker() as s, s.begin():
            live = await lease_mod.acquire(s, uuid.UUID(aid), "live-replica", 5)
        assert live is not None
        assert live.token == dead.token + 1
        # the dead replica, coming back, cannot write anything any more
        async with ctx.sessionmaker() as s:
            with pytest.raises(lease_mod.LeaseLost):
                await lease_mod.check_lease(s, dead)
            await lease_mod.check_lease(s, live)
    finally:
        await ctx.aclose()


async def test_stale_data_halts_the_signal_step(
    make_settings: Any, user: str, qualified: dict[str, Any], database_url: str
) -> None:
    """A live-clock deployment on SAMPLE data (which ends years ago) makes no decision."""
    async with trading_client(make_settings(TRADING_RUNNER=True)) as api:
        body = {
            "strategy_id": qualified["strategy_id"],
            "backtest_id": qualified["run"]["id"],
            "capital": "100000",
            "acknowledge_failed_gates": True,
        }
        dep = (await api.post("/deployments", json=body, headers=h(user))).json()

        async def flagged() -> Any:
            page = (await api.get("/trading/exceptions", headers=h(user))).json()
            return [e for e in page["items"] if e["kind"] == "stale_data"]

        found = await wait_for(flagged, within=60)
        assert found[0]["deployment_id"] == dep["id"]
        targets = (await api.get(f"/deployments/{dep['id']}/targets", headers=h(user))).json()
        assert targets["items"] == []
        assert (await api.get(f"/deployments/{dep['id']}", headers=h(user))).json()[
            "last_bar_at"
        ] is None


async def test_duplicate_execution_is_a_no_op_and_reconciling_twice_changes_nothing(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis, database_url: str
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)
        for t in bars[:120]:
            await step.run(uuid.UUID(did), t, frames, replay=True)
        fill = sql(
            database_url,
            "SELECT execution_id, client_order_id, ts, symbol, side, qty, price, fees "
            "FROM trading_paper.fills WHERE account_id = %s ORDER BY ts LIMIT 1",
            aid,
        )[0]
        before = sql(
            database_url,
            "SELECT qty, realized_pnl FROM trading_paper.positions WHERE account_id = %s",
            aid,
        )
        async with ctx.sessionmaker() as s, s.begin():
            again = await ingest_execution(
                s,
                uuid.UUID(aid),
                venue="paper",
                execution_id=fill[0],
                client_order_id=fill[1],
                ts=fill[2],
                symbol=fill[3],
                side=fill[4],
                qty=fill[5],
                price=fill[6],
                fees=fill[7],
            )
        assert again is None
        assert (
            sql(
                database_url,
                "SELECT qty, realized_pnl FROM trading_paper.positions WHERE account_id = %s",
                aid,
            )
            == before
        )
        async with trading_client(make_settings()) as api:
            reports = [
                (
                    await api.post(
                        "/trading/reconcile",
                        json={"reason": "check", "account_id": aid},
                        headers=h(user),
                    )
                ).json()
                for _ in range(2)
            ]
        for rep in reports:
            assert rep["halted"] is False, rep
            assert {i["kind"] for i in rep["items"]} <= {"matched"}
        assert (
            sql(
                database_url,
                "SELECT qty, realized_pnl FROM trading_paper.positions WHERE account_id = %s",
                aid,
            )
            == before
        )
    finally:
        await ctx.aclose()
