"""Alembic environment: synchronous psycopg connection, models' metadata as the target."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from vt_db.models import Base
from vt_db.session import to_sync_url

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = to_sync_url(config.get_main_option("sqlalchemy.url") or "")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
