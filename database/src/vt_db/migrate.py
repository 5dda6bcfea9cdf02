"""Run Alembic migrations programmatically: `python -m vt_db.migrate [upgrade|downgrade] [rev]`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_DIR = Path(__file__).resolve().parent / "alembic"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.stderr.write("DATABASE_URL is not set\n")
        return 2
    action = args[0] if args else "upgrade"
    rev = args[1] if len(args) > 1 else ("head" if action == "upgrade" else "base")
    if action == "upgrade":
        upgrade(url, rev)
    elif action == "downgrade":
        downgrade(url, rev)
    else:
        sys.stderr.write(f"unknown action {action!r}; use upgrade or downgrade\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
