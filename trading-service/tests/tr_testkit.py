"""Helpers of the trading-service tests (imported as a plain module): users, saved strategies,
real backtests over the real services, polling."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import uvicorn
from asgi_lifespan import LifespanManager

from vt_contracts import StrategySpec
from vt_contracts.trading import RiskLimits
from vt_trading.app import create_app
from vt_trading.settings import Settings

TOKEN = "dev-internal-token-change-me"
NON_BINDING_LIMITS = RiskLimits.non_binding().model_dump(mode="json")
"""Risk limits no check binds (the contracts' parity preset), as the accounts API takes them."""


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def insert_user(database_url: str) -> str:
    user_id = str(uuid.uuid4())
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, %s, 'x')",
            (user_id, f"{user_id}@example.test"),
        )
    return user_id


def save_strategy(database_url: str, user_id: str, spec: dict[str, Any]) -> tuple[str, str]:
    """A saved strategy with one version, as strategy-ai-worker stores it: (id, spec_hash)."""
    model = StrategySpec.model_validate(spec)
    body = json.dumps(model.model_dump(mode="json"))
    sid = str(uuid.uuid4())
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO strategies (id, user_id, name, spec, current_version) VALUES (%s, %s, %s, %s, 1)",
            (sid, user_id, model.name, body),
        )
        conn.execute(
            "INSERT INTO strategy_versions (id, strategy_id, version, spec, spec_hash, source) "
            "VALUES (%s, %s, 1, %s, %s, 'manual')",
            (str(uuid.uuid4()), sid, body, model.spec_hash()),
        )
    return sid, model.spec_hash()


def delete_strategy(database_url: str, strategy_id: str) -> None:
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute("UPDATE strategies SET deleted_at = now() WHERE id = %s", (strategy_id,))


async def run_backtest(
    backtest_url: str, user_id: str, spec: dict[str, Any], within: float = 240
) -> dict[str, Any]:
    """A real backtest through backtest-engine's API (its worker runs in this test session)."""
    async with httpx.AsyncClient(
        base_url=backtest_url, headers={"X-Internal-Token": TOKEN, "X-User-Id": user_id}
    ) as client:
        r = await client.post("/runs", json={"spec": spec})
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            body: dict[str, Any] = (await client.get(f"/runs/{run_id}")).json()
            if body["status"] in ("succeeded", "failed"):
                assert body["status"] == "succeeded", body.get("error")
                return body
            await asyncio.sleep(0.2)
    raise AssertionError(f"backtest {run_id} did not finish in {within} s")


def h(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


async def wait_for(predicate: Any, within: float = 120, every: float = 0.2) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {within} s")


def sql(database_url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


@contextlib.asynccontextmanager
async def trading_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The trading app (lifespan run) behind an in-process HTTP client with the internal token."""
    app = create_app(settings)
    async with (
        LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://trading",
            headers={"X-Internal-Token": TOKEN},
        ) as client,
    ):
        yield client
