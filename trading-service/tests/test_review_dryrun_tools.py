"""Manual review of targets, dry run, live-update events and the manual tools, through the API
and the bar step against the real services."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from test_faults import deploy, feed
from tr_testkit import h, run_backtest, save_strategy, sql, trading_client

from vt_contracts.examples import sma_crossover_spec
from vt_trading.context import TradingContext
from vt_trading.runner.step import BarStep

PERIOD = {"start": "2010-01-01", "end": "2011-12-31"}


@pytest.fixture
async def qualified(
    database_url: str, backtest_url: str, backtest_worker: None, user: str
) -> dict[str, Any]:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    sid, _ = save_strategy(database_url, user, spec)
    return {"strategy_id": sid, "run": await run_backtest(backtest_url, user, spec)}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_manual_review_approve_and_reject(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis, database_url: str
) -> None:
    did, _aid = await deploy(make_settings, user, qualified, review_mode="manual")
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)
        entries: list[int] = []
        async with trading_client(make_settings()) as api:
            for i, t in enumerate(bars):
                await step.run(uuid.UUID(did), t, frames, replay=True)
                last = (
                    await api.get(
                        f"/deployments/{did}/targets", params={"limit": 1}, headers=h(user)
                    )
                ).json()["items"][0]
                assert last["review"] == "proposed"
                if "enter_long" in last["signal"].values():
                    entries.append(i)
                    if len(entries) == 1:
                        r = await api.post(
                            f"/deployments/{did}/targets/{last['id']}/reject",
                            json={"reason": "not today"},
                            headers=h(user),
                        )
                        assert r.json()["review"] == "rejected"
                    else:
                        r = await api.post(
                            f"/deployments/{did}/targets/{last['id']}/approve",
                            json={"reason": "looks right"},
                            headers=h(user),
                        )
                        assert r.json()["review"] == "approved"
                        await step.run(uuid.UUID(did), bars[i + 1], frames, replay=True)
                        break
                    # the rejected bar's change is not traded
                    await step.run(uuid.UUID(did), bars[i + 1], frames, replay=True)
                    orders = (await api.get(f"/deployments/{did}/orders", headers=h(user))).json()
                    assert orders["items"] == []
            assert len(entries) == 2
            orders = (await api.get(f"/deployments/{did}/orders", headers=h(user))).json()["items"]
            assert [o["side"] for o in orders if o["type"] == "market"] == ["buy"]
            again = await api.post(
                f"/deployments/{did}/targets/{orders[0]['id']}/approve",
                json={"reason": "nope"},
                headers=h(user),
            )
            assert again.status_code == 404
    finally:
        await ctx.aclose()


async def test_dry_run_sends_nothing_and_logs_what_it_would_send(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis, database_url: str
) -> None:
    did, aid = await deploy(make_settings, user, qualified, dry_run=True)
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)
        for t in bars[:250]:
            await step.run(uuid.UUID(did), t, frames, replay=True)
    finally:
        await ctx.aclose()
    orders = sql(
        database_url,
        "SELECT dry_run, state FROM trading_paper.orders WHERE deployment_id = %s",
        did,
    )
    assert orders
    assert all(o == (True, "cancelled") for o in orders)
    assert sql(
        database_url, "SELECT count(*) FROM trading_paper.paper_orders WHERE account_id = %s", aid
    ) == [(0,)]
    assert sql(
        database_url, "SELECT count(*) FROM trading_paper.fills WHERE account_id = %s", aid
    ) == [(0,)]
    logged = sql(
        database_url,
        "SELECT record FROM trading_paper.audit_log WHERE account_id = %s AND kind = 'dry_run.would_send'",
        aid,
    )
    assert len(logged) == len(orders)
    assert {"client_order_id", "side", "qty", "symbol"} <= set(logged[0][0])


async def test_events_on_the_users_channel(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis
) -> None:
    pubsub = redis.pubsub()
    await pubsub.subscribe(f"vt:trading:user:{user}")
    try:
        did, _ = await deploy(make_settings, user, qualified)
        got: list[dict[str, Any]] = []
        for _ in range(50):
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if msg is not None:
                got.append(json.loads(msg["data"]))
                break
            await asyncio.sleep(0.05)
        assert got
        assert got[0]["type"] == "deployment"
        assert got[0]["data"]["id"] == did
        assert got[0]["environment"] == "paper"
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()


async def test_manual_tools(
    make_settings: Any, user: str, other_user: str, qualified: dict[str, Any], database_url: str
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    eid = str(uuid.uuid4())
    sql(
        database_url,
        "INSERT INTO trading_paper.exceptions (id, account_id, kind, severity, status, detail, data) "
        "VALUES (%s, %s, 'position_break', 'critical', 'open', 'broker 10, ours 6', '{}')",
        eid,
        aid,
    )
    async with trading_client(make_settings()) as api:
        r = await api.post(
            f"/trading/exceptions/{eid}/acknowledge",
            json={"reason": "looking"},
            headers=h(other_user),
        )
        assert r.status_code == 404
        r = await api.post(
            f"/trading/exceptions/{eid}/acknowledge", json={"reason": "looking"}, headers=h(user)
        )
        assert r.json()["status"] == "acknowledged"
        r = await api.post(
            "/trading/manual/close-break",
            json={"account_id": aid, "exception_id": eid, "reason": "manual trade recorded"},
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "resolved"
        assert r.json()["resolved_at"] is not None
        r = await api.post(
            f"/trading/exceptions/{eid}/resolve", json={"reason": "again"}, headers=h(user)
        )
        assert r.status_code == 409
        r = await api.post(
            "/trading/manual/trade",
            json={
                "account_id": aid,
                "symbol": "SAMPLE:AAPL",
                "side": "buy",
                "qty": "10",
                "price": "100.5",
                "reason": "bought by hand at the broker",
            },
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        assert r.json()["attributed"] is False
        r = await api.post(
            "/trading/manual/reattribute",
            json={
                "account_id": aid,
                "symbol": "SAMPLE:AAPL",
                "qty": "4",
                "to_deployment_id": did,
                "reason": "these belong to the SMA deployment",
            },
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        positions = (
            await api.get("/trading/positions", params={"account_id": aid}, headers=h(user))
        ).json()
        by_owner = {p["deployment_id"]: p["qty"] for p in positions}
        assert by_owner == {None: "6", did: "4"}
        r = await api.post(
            "/trading/manual/reattribute",
            json={"account_id": aid, "symbol": "SAMPLE:AAPL", "qty": "40", "reason": "too many"},
            headers=h(user),
        )
        assert r.status_code == 422
        audit = (
            await api.get(
                "/trading/audit", params={"account_id": aid, "limit": 500}, headers=h(user)
            )
        ).json()
        kinds = {e["kind"] for e in audit["items"]}
        assert {"manual.trade", "manual.reattribute", "manual.close_break"} <= kinds
        assert audit["verified"] is True
