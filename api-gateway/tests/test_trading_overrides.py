"""Risk overrides and the instrument allow-list through the gateway, on the REAL services: set
and read (audited with user and reason, in `GET /trading/risk`), another user's ids answer 404,
bad input is a problem that names the field; then the real bar step of a replay deployment
under a close-only override: the reducing order goes out, opening ones are denied and the
denials are recorded with their reason."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from vt_contracts.trading import RiskLimits
from vt_gateway.testing import INTERNAL_TOKEN, gateway_settings, register_and_login, stub_apps

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the e2e test's helpers
from test_trading_e2e import (
    MESSAGE,
    _all,
    _wait,
    backtest_worker,
    siblings,
)

__all__ = ["siblings"]  # the fixture, imported for pytest
PROBLEM = "application/problem+json"
NO_STUBS = {
    "strategy-ai-worker",
    "backtest-engine",
    "market-data-service",
    "market-research-service",
}


def _trading_settings(redis_url: str, urls: dict[str, str], env: str) -> Any:
    from vt_trading.settings import Settings

    # no background runner: the test steps the bars itself, so nothing races the setup
    return Settings(
        INTERNAL_TOKEN=INTERNAL_TOKEN,
        REDIS_URL=redis_url,
        TRADING_ENVIRONMENT=env,
        TRADING_RUNNER=False,
        **urls,
    )


@asynccontextmanager
async def _transports(
    redis_url: str, urls: dict[str, str]
) -> AsyncIterator[dict[str, httpx.AsyncBaseTransport]]:
    from vt_trading.app import create_app

    found: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub)
        for name, stub in stub_apps(redis_url).items()
        if name not in NO_STUBS
    }
    async with AsyncExitStack() as stack:
        for env in ("paper", "live"):
            app = create_app(_trading_settings(redis_url, urls, env))
            manager = await stack.enter_async_context(
                LifespanManager(app, startup_timeout=120, shutdown_timeout=60)
            )
            found[f"trading-{env}"] = httpx.ASGITransport(app=manager.app)
        yield found


async def _step_all_bars(redis_url: str, urls: dict[str, str], did: str) -> None:
    """The runner's bar step over the replay period (what the runner does, without the clock)."""
    from vt_contracts import StrategySpec
    from vt_db.trading_models import DeploymentRow
    from vt_trading.context import TradingContext
    from vt_trading.runner.step import BarStep
    from vt_trading.runner.supervisor import load_frames

    redis = Redis.from_url(redis_url)
    ctx = await TradingContext.create(_trading_settings(redis_url, urls, "paper"), redis)
    try:
        async with ctx.sessionmaker() as session:
            dep = await session.get(DeploymentRow, uuid.UUID(did))
            assert dep is not None
        spec = StrategySpec.model_validate(dep.spec)
        frames = await load_frames(ctx, dep, spec, date(2010, 1, 1), date(2011, 12, 31))
        bars = [t for t in frames["SAMPLE:AAPL"].index if t >= pd.Timestamp("2010-01-01", tz="UTC")]
        step = BarStep(ctx, None)
        for t in bars:
            await step.run(uuid.UUID(did), t, frames, replay=True)
    finally:
        await ctx.aclose()
        await redis.aclose()


@pytest.mark.timeout(900)
async def test_overrides_through_the_gateway_and_the_gate_in_the_bar_step(
    make_gateway: Any, siblings: dict[str, Any], redis_url: str
) -> None:
    bt_settings = siblings.pop("_bt_settings")
    urls = dict(siblings)
    settings = gateway_settings(**urls)
    async with backtest_worker(bt_settings), _transports(redis_url, urls) as transports:
        gw = await make_gateway(settings, transports)
        me = await register_and_login(gw, "ov-trader@example.com")
        other = await register_and_login(gw, "ov-other@example.com")

        r = await gw.post(
            "/api/v1/trading/accounts",
            json={
                "name": "overrides",
                "risk_limits": RiskLimits.non_binding().model_dump(mode="json"),
            },
            headers=me,
        )
        assert r.status_code == 201, r.text
        aid = r.json()["id"]
        base = f"/api/v1/trading/accounts/{aid}/overrides"
        assert (await gw.get(base, headers=me)).json()["allow_list"] is None

        # bad input: a problem naming the field to fix; another user's account: 404
        r = await gw.put(base, json={"account": "sell_only", "reason": "typo"}, headers=me)
        assert r.status_code == 422
        assert r.headers["content-type"] == PROBLEM
        assert "account" in r.text
        r = await gw.put(base, json={"account": "close_only"}, headers=me)
        assert r.status_code == 422
        assert "reason" in r.text
        for method in ("GET", "PUT"):
            r = await gw.request(
                method,
                base,
                json={"account": "no_trading", "reason": "not mine"},
                headers=other,
            )
            assert r.status_code == 404, r.text
            assert r.headers["content-type"] == PROBLEM

        # a live account's overrides are answered by the live service
        r = await gw.post(
            "/api/v1/trading/accounts",
            json={
                "name": "live-ov",
                "environment": "live",
                "venue": "ibkr",
                "credentials": {"account_id": "DU000000"},
            },
            headers=me,
        )
        assert r.status_code == 201, r.text
        live_id = r.json()["id"]
        r = await gw.put(
            f"/api/v1/trading/accounts/{live_id}/overrides",
            json={"account": "no_trading", "reason": "not before the audit"},
            headers=me,
        )
        assert r.status_code == 200, r.text
        risk = (
            await gw.get("/api/v1/trading/risk", params={"account_id": live_id}, headers=me)
        ).json()
        assert risk["environment"] == "live"
        assert risk["overrides"]["account"] == "no_trading"

        # chat -> strategy -> backtest -> a replay deployment (nothing steps it yet)
        chat = (
            await gw.post("/api/v1/chat/strategy", json={"message": MESSAGE}, headers=me)
        ).json()
        sid = chat["strategy_id"]
        spec = chat["spec"]
        run_id = (
            await gw.post("/api/v1/backtest/run", json={"strategy_id": sid}, headers=me)
        ).json()["id"]

        async def finished() -> dict[str, Any] | None:
            body: dict[str, Any] = (await gw.get(f"/api/v1/backtest/{run_id}", headers=me)).json()
            return body if body["status"] in ("succeeded", "failed") else None

        run = await _wait(finished, 600)
        assert run["status"] == "succeeded", run.get("error")
        r = await gw.post(
            "/api/v1/deployments",
            json={
                "strategy_id": sid,
                "backtest_id": run_id,
                "mode": "paper",
                "broker": "paper",
                "capital": "100000",
                "account_id": aid,
                "acknowledge_failed_gates": True,
                "replay": {
                    "start": spec["period"]["start"],
                    "end": spec["period"]["end"],
                    "bars_per_second": 10000,
                },
            },
            headers=me,
        )
        assert r.status_code == 201, r.text
        did = r.json()["id"]
        dep_base = f"/api/v1/deployments/{did}/overrides"
        assert (await gw.get(dep_base, headers=other)).status_code == 404
        r = await gw.put(dep_base, json={"mode": "no_trading", "reason": "hold"}, headers=me)
        assert r.status_code == 200, r.text
        assert r.json()["mode"] == "no_trading"
        r = await gw.put(dep_base, json={"mode": None, "reason": "go ahead"}, headers=me)
        assert r.status_code == 200, r.text
        assert r.json()["mode"] is None, r.text

        # a position the deployment holds, then close-only on the account
        r = await gw.post(
            "/api/v1/trading/manual/trade",
            json={
                "account_id": aid,
                "deployment_id": did,
                "symbol": "SAMPLE:AAPL",
                "side": "buy",
                "qty": "10",
                "price": "30",
                "ts": "2009-12-31T00:00:00Z",
                "reason": "held before the strategy took over",
            },
            headers=me,
        )
        assert r.status_code == 200, r.text
        r = await gw.put(
            base,
            json={"account": "close_only", "reason": "wind the account down"},
            headers=me,
        )
        assert r.status_code == 200, r.text
        risk = (await gw.get("/api/v1/trading/risk", params={"account_id": aid}, headers=me)).json()
        assert risk["overrides"]["account"] == "close_only"
        assert risk["overrides"]["items"][0]["reason"] == "wind the account down"

        await _step_all_bars(redis_url, urls, did)

        orders = await _all(gw, f"/api/v1/deployments/{did}/orders", me)
        assert orders, "the held position was reduced"
        assert {o["side"] for o in orders} == {"sell"}
        assert sum(float(o["qty"]) for o in orders) == 10
        audit = await _all(gw, "/api/v1/trading/audit?account_id=" + aid, me)
        denied = [e for e in audit if e["kind"] == "risk.deny"]
        assert denied, "the crossover's entries were refused"
        assert {e["record"]["reason_code"] for e in denied} == {"override_close_only"}
        assert {e["record"]["side"] for e in denied} == {"buy"}
        changes = [e for e in audit if e["kind"] == "risk.overrides"]
        assert changes[-1]["actor"] != "runner"
        assert changes[-1]["record"]["reason"] == "wind the account down"
