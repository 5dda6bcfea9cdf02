"""Fixtures of the IBKR adapter tests: the wire-level fake TWS (ib_async runs unmodified
against it), real Redis for client-id leases and real PostgreSQL for the audit chain."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from vt_fakes.tws import FakeTws

from vt_trading.brokers.ibkr import ClientIdLeases, ConnectionManager, Endpoint, IbkrBroker
from vt_trading.brokers.ibkr.audit_sink import pg_audit_sink
from vt_trading.brokers.ibkr.connection import Backoff
from vt_trading.db import make_trading_engine


@pytest.fixture
async def tws() -> AsyncIterator[FakeTws]:
    fake = await FakeTws().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = await make_trading_engine(database_url, "paper")
    yield eng
    await eng.dispose()


@pytest.fixture
def account_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def endpoint_tag() -> str:
    """A lease namespace of its own per test, so leases of one test never collide with another."""
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_manager(tws: FakeTws, redis: Redis, endpoint_tag: str) -> Callable[..., ConnectionManager]:
    def make(environment: str = "paper", account: str = "", **kw: Any) -> ConnectionManager:
        leases = ClientIdLeases(
            redis, environment=environment, role="trader", endpoint=f"{endpoint_tag}:{tws.port}"
        )
        kw.setdefault("heartbeat_s", 0)
        kw.setdefault("backoff", Backoff(base_s=0.01, max_s=0.05, max_attempts=3))
        return ConnectionManager(
            Endpoint("127.0.0.1", tws.port, environment, account),  # type: ignore[arg-type]
            leases,
            **kw,
        )

    return make


@pytest.fixture
async def broker(
    make_manager: Callable[..., ConnectionManager], engine: AsyncEngine, account_id: uuid.UUID
) -> AsyncIterator[IbkrBroker]:
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    b = IbkrBroker(make_manager(), audit=pg_audit_sink(sessions, account_id), ack_timeout_s=5)
    await b.connect()
    yield b
    await b.close()
