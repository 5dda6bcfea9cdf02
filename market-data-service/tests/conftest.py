"""Fixtures: the app wired to local provider stubs, real PostgreSQL and Redis."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from vt_market_data.app import create_app

sys.path.insert(0, str(Path(__file__).parent))  # test helpers (md_stubs) live beside this file
from md_stubs import (
    StubServer,
    binance_handler,
    make_yahoo_series,
    polygon_handler,
    yahoo_handler,
)
from md_testkit import _client, make_settings


@pytest.fixture(scope="session")
def yahoo_stub() -> Iterator[StubServer]:
    series = {
        "AAPL": make_yahoo_series("AAPL"),
        "0700.HK": make_yahoo_series("0700.HK", hk=True),
        # a real gap: 2020-03-10 was a normal NYSE session
        "GAPPY": make_yahoo_series("GAPPY", drop=("2020-03-10",)),
        # the corporate-action tests change this one (a split between two fetches)
        "SPLT": make_yahoo_series("SPLT"),
    }
    stub = StubServer(yahoo_handler(series), data=series).start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def binance_stub() -> Iterator[StubServer]:
    stub = StubServer(binance_handler).start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def polygon_stub() -> Iterator[StubServer]:
    stub = StubServer(polygon_handler).start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("md-data")


@pytest.fixture
def stubs(
    yahoo_stub: StubServer, binance_stub: StubServer, polygon_stub: StubServer
) -> dict[str, StubServer]:
    for s in (yahoo_stub, binance_stub, polygon_stub):
        s.reset()
    return {"yahoo": yahoo_stub, "binance": binance_stub, "polygon": polygon_stub}


@pytest.fixture
async def md_redis(redis_url: str) -> AsyncIterator[Redis]:
    """Redis with this service's keys (`vt:md:*`) removed (other keys, such as the test
    session's claim on the database, stay)."""
    client = Redis.from_url(redis_url)
    keys = [k async for k in client.scan_iter(match="vt:md:*", count=1000)]
    if keys:
        await client.delete(*keys)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def client(
    clean_db: str, md_redis: Redis, stubs: dict[str, StubServer], data_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(create_app(make_settings(stubs, data_dir))):
        yield c
