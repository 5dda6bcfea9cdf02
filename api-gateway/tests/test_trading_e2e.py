"""Issue 12's "Done when" through the gateway, on the REAL services: chat the README's SMA strategy
on SAMPLE:AAPL, backtest it, deploy it to paper on a replay of the same period, read targets,
orders, fills, positions and P&L, compare the fills with the backtest's trades (equal to the
cent), trip the kill switch, restart the trading service, find everything still there (and
killed), re-arm with a reason."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from vt_contracts.trading import RiskLimits
from vt_gateway.testing import (
    INTERNAL_TOKEN,
    closed_port_url,
    gateway_settings,
    register_and_login,
    serve_in_thread,
    stub_apps,
)

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).parents[2] / "var" / "numba-cache"))

MESSAGE = (
    "Buy SAMPLE:AAPL when the 20-day SMA crosses above the 50-day SMA, sell when it crosses "
    "below, from 2010 to 2012"
)


@pytest.fixture
def siblings(
    clean_db: str, database_url: str, redis_url: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The real market-data (offline samples), strategy-ai (offline parser) and backtest API."""
    from vt_backtest.app import create_app as bt_app
    from vt_backtest.settings import Settings as BtSettings
    from vt_market_data.app import create_app as md_app
    from vt_market_data.settings import Settings as MdSettings
    from vt_strategy_ai.app import create_app as sa_app
    from vt_strategy_ai.settings import Settings as SaSettings

    closed = closed_port_url()
    common = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INTERNAL_TOKEN": INTERNAL_TOKEN,
    }
    with contextlib.ExitStack() as stack:
        md = stack.enter_context(
            serve_in_thread(
                md_app(
                    MdSettings(
                        **common,
                        VT_DATA_DIR=str(tmp_path / "md"),
                        VT_YFINANCE_BASE_URL=closed,
                        VT_CCXT_API_BASE_URL=closed,
                        VT_POLYGON_BASE_URL=closed,
                    )
                )
            )
        )
        sa = stack.enter_context(
            serve_in_thread(
                sa_app(
                    SaSettings(
                        **common,
                        LLM_PROVIDER="offline",
                        MARKET_DATA_URL=md,
                        MARKET_RESEARCH_URL=closed,
                    )
                )
            )
        )
        bt_settings = BtSettings(
            **common, MARKET_DATA_URL=md, BACKTEST_WORKERS=0, BACKTEST_WARMUP=False
        )
        bt = stack.enter_context(serve_in_thread(bt_app(bt_settings)))
        yield {
            "MARKET_DATA_URL": md,
            "STRATEGY_AI_URL": sa,
            "BACKTEST_ENGINE_URL": bt,
            "MARKET_RESEARCH_URL": closed,
            "_bt_settings": bt_settings,  # type: ignore[dict-item]
        }


@contextlib.asynccontextmanager
async def backtest_worker(settings: Any) -> AsyncIterator[None]:
    from vt_backtest.worker.consumer import Worker

    worker = Worker(settings)
    await worker.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(worker.serve(stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=60)
        await worker.close()


@contextlib.asynccontextmanager
async def trading_transports(
    redis_url: str, urls: dict[str, str]
) -> AsyncIterator[dict[str, httpx.AsyncBaseTransport]]:
    """Paper (with its runner) and live trading processes, each with its own lifespan."""
    from vt_trading.app import create_app
    from vt_trading.settings import Settings

    found: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub) for name, stub in stub_apps(redis_url).items()
    }
    async with AsyncExitStack() as stack:
        for env in ("paper", "live"):
            app = create_app(
                Settings(
                    INTERNAL_TOKEN=INTERNAL_TOKEN,
                    REDIS_URL=redis_url,
                    TRADING_ENVIRONMENT=env,
                    TRADING_RUNNER=env == "paper",
                    TRADING_RUNNER_POLL=0.2,
                    TRADING_LEASE_TTL=3.0,
                    **urls,
                )
            )
            manager = await stack.enter_async_context(
                LifespanManager(app, startup_timeout=120, shutdown_timeout=60)
            )
            found[f"trading-{env}"] = httpx.ASGITransport(app=manager.app)
        yield found


async def _all(gw: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        r = await gw.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _assert_fills_are_the_trades(trades: list[dict[str, Any]], fills: list[dict[str, Any]]) -> None:
    expected: list[tuple[str, str, Decimal, Decimal]] = []
    for t in trades:
        opening, closing = ("buy", "sell") if t["direction"] == "long" else ("sell", "buy")
        expected.append(
            (t["entry_time"], opening, Decimal(str(t["size"])), _cents(t["entry_price"]))
        )
        if not t.get("is_open"):
            expected.append(
                (t["exit_time"], closing, Decimal(str(t["size"])), _cents(t["exit_price"]))
            )
    got = [
        (f["ts"], f["side"], Decimal(f["qty"]), _cents(f["price"]))
        for f in sorted(fills, key=lambda f: (f["ts"], f["side"]))
    ]

    def norm(ts: str) -> str:
        return ts.replace("Z", "+00:00")

    assert [(norm(a), b, c, d) for a, b, c, d in got] == sorted(
        (norm(a), b, c, d) for a, b, c, d in expected
    )
    fees_backtest = sum(
        (Decimal(str(t["fees"])) for t in trades if not t.get("is_open")), Decimal(0)
    )
    closed_fill_fees = sum((Decimal(f["fees"]) for f in fills), Decimal(0)) - sum(
        (
            Decimal(f["fees"])
            for f in fills
            if any(t.get("is_open") and norm(t["entry_time"]) == norm(f["ts"]) for t in trades)
        ),
        Decimal(0),
    )
    assert _cents(closed_fill_fees) == _cents(fees_backtest)


async def _wait(predicate: Any, within: float) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.3)
    raise AssertionError(f"not done within {within} s")


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_chat_backtest_deploy_replay_kill_restart_rearm(
    make_gateway: Any, siblings: dict[str, Any], redis_url: str
) -> None:
    bt_settings = siblings.pop("_bt_settings")
    urls = {k: v for k, v in siblings.items()}
    settings = gateway_settings(
        STRATEGY_AI_URL=urls["STRATEGY_AI_URL"],
        BACKTEST_ENGINE_URL=urls["BACKTEST_ENGINE_URL"],
        MARKET_DATA_URL=urls["MARKET_DATA_URL"],
        MARKET_RESEARCH_URL=urls["MARKET_RESEARCH_URL"],
    )
    no_stubs = {
        "strategy-ai-worker",
        "backtest-engine",
        "market-data-service",
        "market-research-service",
    }
    async with backtest_worker(bt_settings), trading_transports(redis_url, urls) as transports:
        gw = await make_gateway(
            settings, {k: v for k, v in transports.items() if k not in no_stubs}
        )
        me = await register_and_login(gw, "e2e-trader@example.com")
        other = await register_and_login(gw, "e2e-other@example.com")

        # chat -> strategy, backtest it
        r = await gw.post("/api/v1/chat/strategy", json={"message": MESSAGE}, headers=me)
        assert r.status_code == 200, r.text
        chat = r.json()
        sid = chat["strategy_id"]
        assert sid, chat
        spec = chat["spec"]
        assert spec["universe"]["symbols"] == ["SAMPLE:AAPL"]
        r = await gw.post("/api/v1/backtest/run", json={"strategy_id": sid}, headers=me)
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]

        async def finished_run() -> dict[str, Any] | None:
            body: dict[str, Any] = (await gw.get(f"/api/v1/backtest/{run_id}", headers=me)).json()
            return body if body["status"] in ("succeeded", "failed") else None

        run = await _wait(finished_run, 600)
        assert run["status"] == "succeeded", run.get("error")
        result = run["result"]
        assert result["trades"], "the SMA crossover traded in the period"

        # an account on which no limit binds, then the deployment: a replay of the same period
        r = await gw.post(
            "/api/v1/trading/accounts",
            json={
                "name": "walk-through",
                "risk_limits": RiskLimits.non_binding().model_dump(mode="json"),
            },
            headers=me,
        )
        assert r.status_code == 201, r.text
        account_id = r.json()["id"]
        strict = await gw.post(
            "/api/v1/deployments",
            json={
                "strategy_id": sid,
                "backtest_id": run_id,
                "mode": "paper",
                "broker": "paper",
                "capital": str(result["summary_stats"]["initial_capital"]),
                "account_id": account_id,
                "replay": {"start": spec["period"]["start"], "end": spec["period"]["end"]},
            },
            headers=me,
        )
        if strict.status_code != 201:  # the strict profile refuses it: the problem names the gates
            assert strict.status_code in (409, 422), strict.text
            assert strict.headers["content-type"] == "application/problem+json"
        r = await gw.post(
            "/api/v1/deployments",
            json={
                "strategy_id": sid,
                "backtest_id": run_id,
                "mode": "paper",
                "broker": "paper",
                "capital": str(result["summary_stats"]["initial_capital"]),
                "account_id": account_id,
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
        dep = r.json()
        did = dep["id"]
        assert dep["environment"] == "paper"
        assert dep["replay"]["label"] == "replay"
        assert (await gw.get(f"/api/v1/deployments/{did}", headers=other)).status_code == 404

        async def replayed() -> dict[str, Any] | None:
            body: dict[str, Any] = (await gw.get(f"/api/v1/deployments/{did}", headers=me)).json()
            return body if body["replay"]["finished"] else None

        done = await _wait(replayed, 600)
        assert done["replay"]["bars_done"] == done["replay"]["bars_total"]
        targets = await _all(gw, f"/api/v1/deployments/{did}/targets", me)
        orders = await _all(gw, f"/api/v1/deployments/{did}/orders", me)
        fills = await _all(gw, f"/api/v1/deployments/{did}/fills", me)
        assert targets
        assert orders
        assert {
            "ts",
            "symbol",
            "side",
            "qty",
            "price",
            "fees",
            "order_id",
            "client_order_id",
        } <= set(fills[0])
        _assert_fills_are_the_trades(result["trades"], fills)
        pnl = (await gw.get(f"/api/v1/deployments/{did}/pnl", headers=me)).json()
        assert _cents(pnl["equity"]) == _cents(result["summary_stats"]["final_equity"])
        positions = (await gw.get(f"/api/v1/deployments/{did}/positions", headers=me)).json()
        listed = (await gw.get("/api/v1/deployments", headers=me)).json()
        assert [d["id"] for d in listed["items"]] == [did]

        # the kill switch
        r = await gw.post(
            "/api/v1/trading/kill",
            json={"reason": "end of the walk-through", "account_id": account_id},
            headers=me,
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "killed"
        open_qty = sum(Decimal(p["qty"]) for p in positions)
        assert bool(r.json()["flatten_orders"]) == (open_qty != 0)

    # stop and start the trading services: everything is still there, still killed
    async with trading_transports(redis_url, urls) as transports:
        gw = await make_gateway(
            settings, {k: v for k, v in transports.items() if k not in no_stubs}
        )
        dep_again = (await gw.get(f"/api/v1/deployments/{did}", headers=me)).json()
        assert dep_again["id"] == did
        assert dep_again["replay"]["finished"]
        again = await _all(gw, f"/api/v1/deployments/{did}/fills", me)
        assert [f["execution_id"] for f in again][: len(fills)] == [
            f["execution_id"] for f in fills
        ][: len(again)]
        assert len(again) >= len(fills)
        risk = (
            await gw.get("/api/v1/trading/risk", params={"account_id": account_id}, headers=me)
        ).json()
        assert risk["state"] == "killed"
        assert risk["flatten_latched"] is True  # this episode's flatten is done: never again
        r = await gw.post(
            "/api/v1/trading/rearm",
            json={"reason": "checked the positions", "account_id": account_id},
            headers=me,
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "active"
        audit = (
            await gw.get("/api/v1/trading/audit", params={"account_id": account_id}, headers=me)
        ).json()
        assert audit["verified"] is True
