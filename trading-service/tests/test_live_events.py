"""Live-update events: what the bar step hands the runner to publish (targets, orders with their
state, fills as the REST routes return them) and what is published on the user's channel when a
deployment fails or an override changes (real services, real PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from test_faults import deploy, feed
from test_replay_parity import PERIOD
from tr_testkit import h, run_backtest, save_strategy, trading_client

from vt_contracts.examples import sma_crossover_spec
from vt_trading.context import TradingContext
from vt_trading.runner.step import BarStep
from vt_trading.trading import recovery


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


async def _next(pubsub: PubSub, type_: str) -> dict[str, Any]:
    for _ in range(100):
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if msg is not None:
            event: dict[str, Any] = json.loads(msg["data"])
            if event["type"] == type_:
                return event
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {type_} event")


async def test_step_events_and_published_changes(
    make_settings: Any, user: str, qualified: dict[str, Any], redis: Redis
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    ctx = await TradingContext.create(make_settings(), redis)
    events: list[tuple[str, dict[str, Any]]] = []
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)
        for t in bars:
            events += (await step.run(uuid.UUID(did), t, frames, replay=True)).events
            if any(kind == "fill" for kind, _ in events):
                break
        kinds = [kind for kind, _ in events]
        assert {"target", "order", "fill"} <= set(kinds)
        orders = [data for kind, data in events if kind == "order"]
        assert orders[0]["state"] == "accepted"  # on submission, before any fill
        assert orders[-1]["state"] == "filled"
        assert {o["deployment_id"] for o in orders} == {did}
        fill = next(data for kind, data in events if kind == "fill")
        assert {
            "ts",
            "symbol",
            "side",
            "qty",
            "price",
            "fees",
            "order_id",
            "client_order_id",
            "deployment_id",
        } <= set(fill)
        assert fill["order_id"] == orders[-1]["id"]

        pubsub = redis.pubsub()
        await pubsub.subscribe(f"vt:trading:user:{user}")
        try:
            async with trading_client(make_settings()) as api:
                r = await api.put(
                    f"/accounts/{aid}/overrides",
                    json={"account": "reduce_only", "reason": "cool down"},
                    headers=h(user),
                )
                assert r.status_code == 200, r.text
            risk = await _next(pubsub, "risk")
            assert risk["data"]["kind"] == "overrides"
            assert risk["data"]["account"] == "reduce_only"
            await recovery.fail_deployment(ctx, uuid.UUID(did), "the bar step failed; see logs")
            dep = await _next(pubsub, "deployment")
            assert (dep["data"]["id"], dep["data"]["status"]) == (did, "failed")
            assert dep["environment"] == "paper"
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()
    finally:
        await ctx.aclose()
