"""Helpers for tests of the gateway and of its clients (the `vt` CLI): test settings, the internal
services mounted in-process (the real sibling apps when they serve the documented routes, else the
stubs of `vt_gateway.stubs`), and registering users."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from vt_gateway import stubs
from vt_gateway.app import create_app
from vt_gateway.settings import Settings

INTERNAL_TOKEN = "test-internal-token-0123456789"
PASSWORD = "correct horse battery staple"

# routes a sibling app must serve before the tests use it instead of the stub
REQUIRED_ROUTES: dict[str, tuple[str, set[str]]] = {
    "strategy-ai-worker": ("vt_strategy_ai", {"/chat", "/strategies", "/strategies/{strategy_id}"}),
    "backtest-engine": ("vt_backtest", {"/runs", "/runs/{run_id}"}),
    "market-data-service": ("vt_market_data", {"/ohlcv", "/symbols/search", "/uploads"}),
    "market-research-service": ("vt_research", {"/insight"}),
    "trading-paper": (
        "vt_trading",
        {"/accounts", "/deployments", "/trading/kill", "/trading/risk"},
    ),
    "trading-live": ("vt_trading", {"/accounts", "/deployments", "/trading/kill", "/trading/risk"}),
}
TRADING = ("trading-paper", "trading-live")


def closed_port_url() -> str:
    """A loopback URL nothing listens on (calls fail fast, never reach a running stack)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def gateway_settings(**overrides: Any) -> Settings:
    """Settings for tests: generous rate limits, no front end, a CORS origin."""
    values: dict[str, Any] = {
        "INTERNAL_TOKEN": INTERNAL_TOKEN,
        "JWT_SECRET": "test-jwt-secret-0123456789abcdef0123",
        "VT_FRONTEND_DIR": "/nonexistent/frontend/out",
        "RL_AUTH_CAPACITY": 10_000,
        "RL_CHAT_CAPACITY": 10_000,
        "RL_IP_CAPACITY": 100_000,
        "RL_USER_CAPACITY": 100_000,
        "RL_TOKEN_CAPACITY": 100_000,
        "CORS_ORIGINS": "https://app.example.com",
        "UPSTREAM_TIMEOUT_SECONDS": 5,
        # no test may reach a trading service of a stack running on this machine
        "TRADING_PAPER_URL": closed_port_url(),
        "TRADING_LIVE_URL": closed_port_url(),
        # cheap hashing keeps tests fast; production keeps the defaults
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 8192,
        "ARGON2_PARALLELISM": 1,
    }
    values.update(overrides)
    return Settings(**values)


def real_app(
    service: str, redis_url: str, mode: str | None = None, **overrides: Any
) -> FastAPI | None:
    """The real sibling app when it already serves the routes the gateway calls.

    `VT_GATEWAY_TEST_UPSTREAMS`: `stub` (default: deterministic stubs everywhere), `auto` (real
    apps where they serve the routes, stubs elsewhere) or `real` (fail when one is not ready).
    """
    mode = mode or os.environ.get("VT_GATEWAY_TEST_UPSTREAMS", "stub")
    if mode == "stub":
        return None
    module_name, required = REQUIRED_ROUTES[service]
    if service in TRADING:
        overrides.setdefault("TRADING_ENVIRONMENT", service.removeprefix("trading-"))
    try:
        module = __import__(f"{module_name}.app", fromlist=["create_app"])
        settings_module = __import__(f"{module_name}.settings", fromlist=["Settings"])
        app: FastAPI = module.create_app(
            settings_module.Settings(
                INTERNAL_TOKEN=INTERNAL_TOKEN, REDIS_URL=redis_url, **overrides
            )
        )
    except Exception:
        if mode == "real":
            raise
        return None
    # FastAPI nests included routers, so ask the OpenAPI document which paths are served
    paths = {getattr(r, "path", "") for r in app.routes} | set(app.openapi().get("paths", {}))
    if not required <= paths:
        if mode == "real":
            raise AssertionError(f"{service} does not serve {sorted(required - paths)} yet")
        return None
    return app


def trading_apps(redis_url: str, mode: str = "auto", **overrides: Any) -> dict[str, FastAPI]:
    """The real trading service, paper and live (there is no stub: empty until it exists)."""
    apps: dict[str, FastAPI] = {}
    for service in TRADING:
        app = real_app(service, redis_url, mode, **overrides)
        if app is not None:
            apps[service] = app
    return apps


def stub_apps(redis_url: str, step_seconds: float = 0.05) -> dict[str, FastAPI]:
    return {
        "strategy-ai-worker": stubs.strategy_ai_app(INTERNAL_TOKEN),
        "backtest-engine": stubs.backtest_app(INTERNAL_TOKEN, redis_url, step_seconds=step_seconds),
        "market-data-service": stubs.market_data_app(INTERNAL_TOKEN),
        "market-research-service": stubs.research_app(INTERNAL_TOKEN),
    }


async def register_and_login(client: httpx.AsyncClient, email: str | None = None) -> dict[str, str]:
    """Register and log in a fresh user; return bearer headers (the client's cookies are cleared
    so that identities never mix)."""
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    r = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a background thread; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serve_stack(redis_url: str, **settings: Any) -> Iterator[str]:
    """The gateway with stub (or real) internal services, each on its own loopback port."""
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for service, stub_app in stub_apps(redis_url).items():
            app = real_app(service, redis_url) or stub_app
            urls[service] = stack.enter_context(serve_in_thread(app))
        siblings = {
            "STRATEGY_AI_URL": urls["strategy-ai-worker"],
            "BACKTEST_ENGINE_URL": urls["backtest-engine"],
            "MARKET_DATA_URL": urls["market-data-service"],
            "MARKET_RESEARCH_URL": urls["market-research-service"],
        }
        for service, app in trading_apps(redis_url, **siblings).items():
            urls[service] = stack.enter_context(serve_in_thread(app))
        trading = {
            "TRADING_PAPER_URL": urls.get("trading-paper", closed_port_url()),
            "TRADING_LIVE_URL": urls.get("trading-live", closed_port_url()),
        }
        gateway = create_app(gateway_settings(**siblings, **trading, **settings))
        yield stack.enter_context(serve_in_thread(gateway))
