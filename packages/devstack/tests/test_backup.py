"""`make backup` / `make restore` round trip on a real PostgreSQL database, through the CLI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from vt_devstack import backup as bk
from vt_devstack.cli import main
from vt_devstack.embedded import drop_database, ensure_database


@pytest.fixture
def platform_db(
    database_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated throwaway database the CLI is pointed at (as an operator's DATABASE_URL)."""
    server = database_url.rpartition("/")[0] + "/postgres"
    name = f"vt_backup_{os.getpid()}"
    url = ensure_database(server, name)
    from vt_db.migrate import upgrade

    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("VT_VAR_DIR", str(tmp_path / "var"))
    try:
        yield url
    finally:
        drop_database(server, name)


def _emails(url: str) -> list[str]:
    with psycopg.connect(bk.libpq_url(url)) as conn:
        return [r[0] for r in conn.execute("SELECT email FROM users ORDER BY email").fetchall()]


def _add_user(url: str, email: str) -> None:
    with psycopg.connect(bk.libpq_url(url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, %s, 'x')",
            (str(uuid.uuid4()), email),
        )


def test_backup_then_restore_brings_back_exactly_the_backed_up_rows(
    platform_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_user(platform_db, "kept@example.com")
    dump = tmp_path / "mine.dump"
    assert main(["backup", "--out", str(dump)]) == 0
    assert dump.stat().st_size > 0
    assert dump.stat().st_mode & 0o077 == 0  # holds password hashes: owner-only
    assert not list(tmp_path.glob("*.partial"))

    with psycopg.connect(bk.libpq_url(platform_db), autocommit=True) as conn:
        conn.execute("DELETE FROM users")
        conn.execute("CREATE TABLE made_after_the_backup (v int)")
    _add_user(platform_db, "after-the-backup@example.com")

    assert main(["restore", str(dump)]) == 0
    assert _emails(platform_db) == ["kept@example.com"]
    # migrated to the code's head: alembic's marker survived the restore
    with psycopg.connect(bk.libpq_url(platform_db)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None
        # the database is the backup's: what came later is gone, every schema is back
        assert conn.execute("SELECT to_regclass('made_after_the_backup')").fetchone() == (None,)
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert {"public", "trading_paper", "trading_live"} <= schemas
    assert "restored" in capsys.readouterr().out


def test_backups_in_var_are_pruned_to_the_newest(platform_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "var" / "backups"
    folder.mkdir(parents=True)
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (folder / f"vibetrading-{stamp}.dump").write_bytes(b"old")
    assert main(["backup", "--keep", "2"]) == 0
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 2
    assert left[0] == "vibetrading-20200103T000000Z.dump"  # the newest old one, and today's
    assert (folder / left[1]).read_bytes() != b"old"


def test_restore_refuses_while_the_stack_runs_and_names_a_missing_file(
    platform_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["restore", str(tmp_path / "nope.dump")]) == 1
    assert "no backup file" in capsys.readouterr().out
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    (var / "stack.pid").write_text(str(os.getpid()))  # a live process: the stack "runs"
    assert main(["restore", str(tmp_path / "nope.dump")]) == 1
    assert "make down" in capsys.readouterr().out


def test_a_broken_dump_is_refused_and_the_database_kept(
    platform_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_user(platform_db, "still-here@example.com")
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    assert main(["restore", str(junk)]) == 1
    assert "failed" in capsys.readouterr().out
    assert _emails(platform_db) == ["still-here@example.com"]


def test_libpq_url_drops_the_sqlalchemy_driver() -> None:
    assert bk.libpq_url("postgresql+asyncpg://u:p@h:5/db") == "postgresql://u:p@h:5/db"
    assert bk.libpq_url("postgresql://h/db") == "postgresql://h/db"
