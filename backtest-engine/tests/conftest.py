"""Fixtures of the backtest-engine tests: real PostgreSQL/Redis (workspace plugin), a
market-data stand-in on a loopback port, the API app, and in-process workers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

sys.path.insert(0, str(Path(__file__).parent))

from bt_testkit import TOKEN, insert_user, market_data_stub, serve_app

from vt_backtest.app import create_app
from vt_backtest.settings import Settings
from vt_backtest.worker.compute import Compute
from vt_backtest.worker.consumer import Worker

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).parents[2] / "var" / "numba-cache"))


@pytest.fixture(scope="session")
def market_data_app() -> Any:
    return market_data_stub()


@pytest.fixture(scope="session")
def market_data_url(market_data_app: Any) -> Iterator[str]:
    with serve_app(market_data_app) as url:
        yield url


@pytest.fixture(scope="session")
def real_market_data_url(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The REAL market-data service (offline samples SAMPLE:*, DEMO:*) on a loopback port;
    its providers point at a closed port, so nothing reaches the internet."""
    md_app = pytest.importorskip("vt_market_data.app")
    md_settings = pytest.importorskip("vt_market_data.settings")
    settings = md_settings.Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INTERNAL_TOKEN=TOKEN,
        VT_DATA_DIR=str(tmp_path_factory.mktemp("md-data")),
        VT_YFINANCE_BASE_URL="http://127.0.0.1:9",
        VT_CCXT_API_BASE_URL="http://127.0.0.1:9",
        VT_POLYGON_BASE_URL="http://127.0.0.1:9",
    )
    with serve_app(md_app.create_app(settings)) as url:
        yield url


@pytest.fixture
def make_settings(
    database_url: str, redis_url: str, market_data_url: str
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        env: dict[str, Any] = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MARKET_DATA_URL": market_data_url,
            "INTERNAL_TOKEN": TOKEN,
            "BACKTEST_WORKERS": 0,
            "BACKTEST_CLAIM_IDLE_MS": 1000,
            "BACKTEST_HEARTBEAT_MS": 200,
            "BACKTEST_MAX_ATTEMPTS": 3,
            "BACKTEST_PROGRESS_INTERVAL": 0.05,
        }
        env.update(overrides)
        return Settings(**env)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def api(
    settings: Settings, clean_db: str, redis_client: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The API (no worker processes) on a clean database and flushed Redis."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"X-Internal-Token": TOKEN}
        ) as client:
            yield client


@pytest.fixture
def user(clean_db: str) -> str:
    return insert_user(clean_db)


@pytest.fixture
def other_user(clean_db: str) -> str:
    return insert_user(clean_db)


class WorkerHandle:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> WorkerHandle:
        self.task = asyncio.create_task(self.worker.serve(self.stop))
        return self

    async def halt(self) -> None:
        self.stop.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, timeout=60)


@pytest.fixture
async def make_worker(settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    """Build in-process workers (set up, not yet serving); all are stopped and closed at the end."""
    handles: list[WorkerHandle] = []

    async def make(
        compute: Compute | None = None, name: str | None = None, settings_: Settings | None = None
    ) -> WorkerHandle:
        worker = Worker(settings_ or settings, compute=compute, name=name)
        await worker.setup()
        handle = WorkerHandle(worker)
        handles.append(handle)
        return handle

    yield make
    for h in handles:
        await h.halt()
        await h.worker.close()
