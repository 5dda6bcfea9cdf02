"""Fixtures of the adapter contract suite: one `venue` per harness in contract_harness.HARNESSES."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.append(str(Path(__file__).parent))  # after tests/ so `conftest` stays the parent one

from contract_harness import HARNESSES, Deps, Harness


@pytest.fixture(scope="session")
async def trading_sessionmaker(
    database_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    from vt_db.session import make_sessionmaker
    from vt_trading.db import make_trading_engine

    engine = await make_trading_engine(database_url, "paper", pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(params=sorted(HARNESSES))
async def venue(
    request: pytest.FixtureRequest,
    trading_sessionmaker: async_sessionmaker[AsyncSession],
    redis_url: str,
) -> AsyncIterator[Harness]:
    gen = HARNESSES[request.param](Deps(trading_sessionmaker, redis_url))
    harness = await gen.__anext__()
    try:
        yield harness
    finally:
        await gen.aclose()
