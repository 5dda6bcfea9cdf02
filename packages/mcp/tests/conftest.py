"""The real stack for the MCP tests: market data (offline samples), strategy-ai (offline parser),
the backtest API and one worker, market research and paper trading, each served on a loopback
port, the gateway in front (see vt_gateway.testing), on real PostgreSQL and Redis. The tests talk
to it only through a real `vt-mcp` process, with the MCP SDK's own client over stdio."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from vt_gateway.testing import (
    INTERNAL_TOKEN,
    PASSWORD,
    closed_port_url,
    gateway_settings,
    serve_in_thread,
)

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).parents[3] / "var" / "numba-cache"))

VT_MCP = str(Path(sys.executable).parent / "vt-mcp")


@contextlib.contextmanager
def backtest_worker(settings: Any) -> Iterator[None]:
    """One backtest worker in its own thread and event loop (like its own process)."""
    from vt_backtest.worker.consumer import Worker

    loop = asyncio.new_event_loop()
    stop: asyncio.Event | None = None
    ready = threading.Event()

    async def run() -> None:
        nonlocal stop
        stop = asyncio.Event()
        worker = Worker(settings)
        await worker.setup()
        ready.set()
        try:
            await worker.serve(stop)
        finally:
            await worker.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    ready.wait(timeout=120)
    try:
        yield
    finally:
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=60)
        loop.close()


@pytest.fixture(scope="module")
def api_url(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    from vt_backtest.app import create_app as bt_app
    from vt_backtest.settings import Settings as BtSettings
    from vt_market_data.app import create_app as md_app
    from vt_market_data.settings import Settings as MdSettings
    from vt_research.app import create_app as rs_app
    from vt_research.settings import Settings as RsSettings
    from vt_strategy_ai.app import create_app as sa_app
    from vt_strategy_ai.settings import Settings as SaSettings
    from vt_trading.app import create_app as tr_app
    from vt_trading.settings import Settings as TrSettings

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
                        VT_DATA_DIR=str(tmp_path_factory.mktemp("md")),
                        VT_YFINANCE_BASE_URL=closed,
                        VT_CCXT_API_BASE_URL=closed,
                        VT_POLYGON_BASE_URL=closed,
                    )
                )
            )
        )
        rs = stack.enter_context(
            serve_in_thread(
                rs_app(
                    RsSettings(
                        **common,
                        MARKET_DATA_URL=md,
                        VT_RESEARCH_SCHEDULER=False,
                        VT_RESEARCH_VIX=False,
                        VT_SENTIMENT_MODEL="none",
                    )
                )
            )
        )
        sa = stack.enter_context(
            serve_in_thread(
                sa_app(
                    SaSettings(
                        **common, LLM_PROVIDER="offline", MARKET_DATA_URL=md, MARKET_RESEARCH_URL=rs
                    )
                )
            )
        )
        bt_settings = BtSettings(
            **common, MARKET_DATA_URL=md, BACKTEST_WORKERS=0, BACKTEST_WARMUP=False
        )
        bt = stack.enter_context(serve_in_thread(bt_app(bt_settings)))
        stack.enter_context(backtest_worker(bt_settings))
        siblings = {
            "MARKET_DATA_URL": md,
            "STRATEGY_AI_URL": sa,
            "BACKTEST_ENGINE_URL": bt,
            "MARKET_RESEARCH_URL": rs,
        }
        paper = stack.enter_context(
            serve_in_thread(
                tr_app(
                    TrSettings(
                        INTERNAL_TOKEN=INTERNAL_TOKEN,
                        REDIS_URL=redis_url,
                        DATABASE_URL=database_url,
                        TRADING_ENVIRONMENT="paper",
                        TRADING_RUNNER=False,
                        **siblings,
                    )
                )
            )
        )
        gateway = gateway_settings(**siblings, TRADING_PAPER_URL=paper, TRADING_LIVE_URL=closed)
        from vt_gateway.app import create_app

        yield stack.enter_context(serve_in_thread(create_app(gateway)))


@dataclass
class Account:
    email: str
    headers: dict[str, str]

    def token(self, api_url: str, *scopes: str) -> str:
        r = httpx.post(
            f"{api_url}/api/v1/users/me/tokens",
            json={"name": f"mcp-{'-'.join(scopes)}", "scopes": list(scopes)},
            headers=self.headers,
        )
        assert r.status_code == 201, r.text
        token: str = r.json()["token"]
        return token


@pytest.fixture(scope="module")
def account(api_url: str) -> Account:
    email = f"mcp-{uuid.uuid4().hex[:10]}@example.com"
    r = httpx.post(f"{api_url}/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{api_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Account(email, {"Authorization": f"Bearer {r.json()['access_token']}"})
