"""Fixtures: the app wired to local provider stubs, real PostgreSQL and Redis."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from vt_market_data.app import create_app
from vt_market_data.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers (md_stubs) live beside this file
from md_stubs import (
    StubServer,
    binance_handler,
    make_yahoo_series,
    polygon_handler,
    yahoo_handler,
)

TOKEN = "test-internal-token"
AUTH = {"X-Internal-Token": TOKEN}


@pytest.fixture(scope="session")
def yahoo_stub() -> Iterator[StubServer]:
    stub = StubServer(
        yahoo_handler(
            {
                "AAPL": make_yahoo_series("AAPL"),
                "0700.HK": make_yahoo_series("0700.HK", hk=True),
                # a real gap: 2020-03-10 was a normal NYSE session
                "GAPPY": make_yahoo_series("GAPPY", drop=("2020-03-10",)),
            }
        )
    ).start()
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


def make_settings(stubs: dict[str, StubServer], data_dir: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "INTERNAL_TOKEN": TOKEN,
        "VT_DATA_DIR": str(data_dir),
        "VT_YFINANCE_BASE_URL": stubs["yahoo"].url,
        "VT_CCXT_API_BASE_URL": stubs["binance"].url,
        "VT_POLYGON_BASE_URL": stubs["polygon"].url,
        "POLYGON_API_KEY": "test-key",
        "VT_MD_RETRY_BASE_DELAY": 0.01,
        "VT_MD_RATE_PER_SEC": 1000.0,
        "VT_MD_RATE_BURST": 1000.0,
        "VT_MD_UPSTREAM_TIMEOUT": 5.0,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=AUTH, timeout=60
        ) as c:
            c.app = manager.app  # type: ignore[attr-defined]
            yield c


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


def make_user(database_url: str) -> uuid.UUID:
    uid = uuid.uuid4()
    with psycopg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, %s, %s)",
            (uid, f"{uid}@example.test", "x"),
        )
    return uid


def db_count(database_url: str, sql: str) -> int:
    with psycopg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True
    ) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
