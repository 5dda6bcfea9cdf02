"""Fixtures of the trading-service tests: real PostgreSQL/Redis (workspace plugin), the REAL
market-data, strategy-ai and backtest-engine services on loopback ports (offline samples; the
backtest worker runs in this session), and the trading app."""

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

sys.path.insert(0, str(Path(__file__).parent))

from tr_testkit import TOKEN, insert_user, serve_app, sql, trading_client

from vt_trading.settings import Settings

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).parents[2] / "var" / "numba-cache"))


@pytest.fixture(scope="session")
def market_data_url(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real market-data service (offline samples SAMPLE:*); providers point at a closed port."""
    from vt_market_data.app import create_app as md_app
    from vt_market_data.settings import Settings as MdSettings

    settings = MdSettings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INTERNAL_TOKEN=TOKEN,
        VT_DATA_DIR=str(tmp_path_factory.mktemp("md-data")),
        VT_YFINANCE_BASE_URL="http://127.0.0.1:9",
        VT_CCXT_API_BASE_URL="http://127.0.0.1:9",
        VT_POLYGON_BASE_URL="http://127.0.0.1:9",
    )
    with serve_app(md_app(settings)) as url:
        yield url


@pytest.fixture(scope="session")
def strategy_url(database_url: str, redis_url: str) -> Iterator[str]:
    from vt_strategy_ai.app import create_app as sa_app
    from vt_strategy_ai.settings import Settings as SaSettings

    settings = SaSettings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INTERNAL_TOKEN=TOKEN,
        LLM_PROVIDER="offline",
    )
    with serve_app(sa_app(settings)) as url:
        yield url


@pytest.fixture(scope="session")
def backtest_settings(database_url: str, redis_url: str, market_data_url: str) -> Any:
    from vt_backtest.settings import Settings as BtSettings

    return BtSettings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MARKET_DATA_URL=market_data_url,
        INTERNAL_TOKEN=TOKEN,
        BACKTEST_WORKERS=0,
        BACKTEST_WARMUP=False,
    )


@pytest.fixture(scope="session")
def backtest_url(backtest_settings: Any) -> Iterator[str]:
    from vt_backtest.app import create_app as bt_app

    with serve_app(bt_app(backtest_settings)) as url:
        yield url


@pytest.fixture(scope="session")
async def backtest_worker(backtest_url: str, backtest_settings: Any) -> AsyncIterator[None]:
    """One real backtest worker consuming the job stream in this session's event loop."""
    from vt_backtest.worker.consumer import Worker

    worker = Worker(backtest_settings)
    await worker.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(worker.serve(stop))
    try:
        yield None
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=60)
        await worker.close()


@pytest.fixture
def make_settings(
    database_url: str, redis_url: str, market_data_url: str, strategy_url: str, backtest_url: str
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        env: dict[str, Any] = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INTERNAL_TOKEN": TOKEN,
            "MARKET_DATA_URL": market_data_url,
            "STRATEGY_AI_URL": strategy_url,
            "BACKTEST_ENGINE_URL": backtest_url,
            "TRADING_ENVIRONMENT": "paper",
            "TRADING_RUNNER": False,
            "TRADING_RUNNER_POLL": 0.2,
            "TRADING_LEASE_TTL": 3.0,
        }
        env.update(overrides)
        return Settings(**env)

    return make


@pytest.fixture
async def api(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """The trading API (paper process) without its runner."""
    async with trading_client(make_settings()) as client:
        yield client


@pytest.fixture
def user(database_url: str) -> str:
    return insert_user(database_url)


@pytest.fixture
def other_user(database_url: str) -> str:
    return insert_user(database_url)


@pytest.fixture(autouse=True)
def _quiet_runners(database_url: str) -> Iterator[None]:
    """Stop every deployment a test left running, so the next test's runner ignores it."""
    yield
    sql(
        database_url,
        "UPDATE trading_paper.deployments SET status = 'stopped' WHERE status IN ('running', 'paused', 'pending')",
    )
