"""Helpers shared by the market-data tests (a uniquely named module: every suite of the
workspace runs in one pytest session, where `conftest` names more than one file)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psycopg
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from md_stubs import StubServer

from vt_market_data.settings import Settings

TOKEN = "test-internal-token"
AUTH = {"X-Internal-Token": TOKEN}


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
