"""Fixtures of the strategy AI worker tests."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from vt_db.session import to_async_url
from vt_strategy_ai.app import create_app
from vt_strategy_ai.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))

from ai_stubs import StubServer, make_ohlcv, market_app, settings_for


@pytest.fixture
async def make_user(database_url: str, clean_db: None) -> AsyncIterator[Callable[[], Any]]:
    engine = create_async_engine(to_async_url(database_url))
    created: list[uuid.UUID] = []

    async def make() -> uuid.UUID:
        uid = uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO users (id, email, password_hash) VALUES (:id, :email, 'x')"),
                {"id": uid, "email": f"{uid.hex}@example.com"},
            )
        created.append(uid)
        return uid

    yield make
    await engine.dispose()


@pytest.fixture(scope="session")
def market_stub() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []
    frames = {
        "SPY": make_ohlcv(900, seed=1),
        "QQQ": make_ohlcv(900, seed=2),
        "SAMPLE:AAPL": make_ohlcv(900, seed=3),
        "BTC/USDT": make_ohlcv(900, seed=4, freq="D"),
        "DEMO:PAIR_A": make_ohlcv(900, seed=5),
        "DEMO:PAIR_B": make_ohlcv(900, seed=6),
        "AAPL": make_ohlcv(900, seed=7),
        "MSFT": make_ohlcv(900, seed=8),
    }
    with StubServer(market_app(frames, received)) as url:
        yield url, received


@pytest.fixture
def app_settings(
    market_stub: tuple[str, list[dict[str, str]]], database_url: str, redis_url: str
) -> Settings:
    return settings_for(market_stub[0])


@pytest.fixture
async def client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(app_settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as c:
            yield c
