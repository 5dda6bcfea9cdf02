"""pytest plugin: real PostgreSQL and Redis for every test suite of the workspace.

Uses DATABASE_URL / REDIS_URL when set (a throwaway database `vt_test_<pid>` is created on that
server and dropped at the end); otherwise starts embedded servers under var/test/. Migrations run
once per session. `clean_db` truncates every table; `redis_url` points at a flushed database.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from vt_devstack.embedded import drop_database, ensure_database
from vt_devstack.stack import Backing, repo_root, start_backing

REDIS_LOCK_KEY = "vt:test-session-lock"


@dataclass(frozen=True)
class StackUrls:
    database_url: str
    redis_url: str
    server_url: str


def _redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _claim_redis_db(url: str) -> int:
    """Claim a Redis database (1..15) no other live test session uses, so sessions can run side by side."""
    import redis

    for db in range(1, 16):
        client = redis.Redis.from_url(_redis_db(url, db))
        try:
            if client.set(REDIS_LOCK_KEY, str(os.getpid()), nx=True, ex=6 * 3600):
                client.flushdb()
                client.set(REDIS_LOCK_KEY, str(os.getpid()), ex=6 * 3600)
                return db
            holder = client.get(REDIS_LOCK_KEY)
            if holder is not None and not _alive(int(holder)):
                client.flushdb()
                client.set(REDIS_LOCK_KEY, str(os.getpid()), ex=6 * 3600)
                return db
        finally:
            client.close()
    raise RuntimeError("all 15 Redis test databases are held by running test sessions")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _register_session(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(os.getpid())).touch()


def _last_session_out(folder: Path) -> bool:
    """Unregister this session; True when no other live session still uses the servers."""
    (folder / str(os.getpid())).unlink(missing_ok=True)
    others = [p for p in folder.iterdir() if p.name.isdigit() and _alive(int(p.name))]
    return not others


def _server_url(db_url: str) -> str:
    base, _, _ = db_url.rpartition("/")
    return f"{base}/postgres"


@pytest.fixture(scope="session")
def vt_stack() -> Iterator[StackUrls]:
    """Migrated throwaway database + flushed Redis database for the whole test session."""
    configured_db = os.environ.get("DATABASE_URL")
    sessions = repo_root() / "var" / "test" / "sessions"
    _register_session(sessions)
    backing: Backing = start_backing(
        repo_root() / "var" / "test",
        "postgres",
        pg_port=int(os.environ.get("VT_TEST_PG_PORT", "55433")),
        redis_port=int(os.environ.get("VT_TEST_REDIS_PORT", "56380")),
    )
    server = _server_url(configured_db or backing.database_url)
    name = f"vt_test_{os.getpid()}"
    drop_database(server, name)
    db_url = ensure_database(server, name)
    from vt_db.migrate import upgrade

    upgrade(db_url)
    redis_db = _claim_redis_db(backing.redis_url)
    redis_url = _redis_db(backing.redis_url, redis_db)
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "REDIS_URL", "VT_ENV")}
    os.environ.update(DATABASE_URL=db_url, REDIS_URL=redis_url, VT_ENV="test")
    try:
        yield StackUrls(db_url, redis_url, server)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        drop_database(server, name)
        import redis

        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        client.close()
        if _last_session_out(sessions) and os.environ.get("VT_KEEP_TEST_SERVERS") != "1":
            backing.stop()


@pytest.fixture(scope="session")
def database_url(vt_stack: StackUrls) -> str:
    return vt_stack.database_url


@pytest.fixture(scope="session")
def redis_url(vt_stack: StackUrls) -> str:
    return vt_stack.redis_url


def truncate_all(database_url: str) -> None:
    """Empty every application table (fast; keeps the schema and alembic_version)."""
    with psycopg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True
    ) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
        if rows:
            tables = ", ".join(f'"{r[0]}"' for r in rows)
            conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def clean_db(database_url: str) -> str:
    """A database with every table empty at the start of the test."""
    truncate_all(database_url)
    return database_url


async def flush_keeping_claim(client: object) -> None:
    """Empty the session's Redis database but keep its claim, so no other session takes it."""
    from redis.asyncio import Redis

    assert isinstance(client, Redis)
    await client.flushdb()
    await client.set(REDIS_LOCK_KEY, str(os.getpid()), ex=6 * 3600)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[object]:
    """An async Redis client on the flushed test database."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    await flush_keeping_claim(client)
    try:
        yield client
    finally:
        await client.aclose()
