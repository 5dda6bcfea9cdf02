"""Fixtures of the research service tests: a stub market-data server (real HTTP, OHLCVFrame
JSON), settings pointing at it, and the app against real PostgreSQL and Redis."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from asgi_lifespan import LifespanManager

sys.path.insert(0, str(Path(__file__).parent))

from stub_market_data import TOKEN, StubServer, build_series, create_stub

from vt_research.app import create_app
from vt_research.settings import Settings

HEADERS = {"X-Internal-Token": TOKEN}


@pytest.fixture(scope="session")
def series() -> dict[str, pd.DataFrame]:
    return build_series()


@pytest.fixture(scope="session")
def stub_state() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def stub(series: dict[str, pd.DataFrame], stub_state: dict[str, Any]) -> Iterator[StubServer]:
    with StubServer(create_stub(series, stub_state)) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_stub(stub_state: dict[str, Any]) -> None:
    stub_state.clear()


@pytest.fixture(scope="session")
def nltk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nltk_data")


@pytest.fixture
def make_settings(stub: StubServer, nltk_dir: Path) -> Any:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "INTERNAL_TOKEN": TOKEN,
            "MARKET_DATA_URL": stub.url,
            "VT_RESEARCH_SCHEDULER": False,
            "VT_NEWS_FEEDS": [f"{stub.url}/rss/market_news.xml"],
            "VT_NEWS_MAX_AGE_HOURS": 24 * 365 * 20,
            "VT_NLTK_DATA": nltk_dir,
            "VT_RESEARCH_MARKET_DATA_TIMEOUT": 5.0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def rs_redis(redis_client: Any) -> Any:
    """The plugin's flushed `redis_client` (which keeps this session's claim on the database)."""
    return redis_client


@pytest.fixture
async def app_client(
    database_url: str, redis_url: str, clean_db: None, rs_redis: Any, make_settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings())
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=HEADERS, timeout=60
        ) as client:
            yield client
