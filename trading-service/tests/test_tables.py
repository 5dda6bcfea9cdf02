"""Trading tables: one set per environment schema, migrations up and down, roles that keep
paper and live apart, an append-only audit log, idempotent fills."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from tr_testkit import plain

from vt_db.migrate import downgrade, upgrade
from vt_db.trading_models import TRADING_TABLES
from vt_devstack.embedded import drop_database, ensure_database
from vt_devstack.pytest_plugin import StackUrls
from vt_trading.db import make_trading_engine

SCHEMAS = ("trading_paper", "trading_live")


@pytest.fixture
def scratch_db(vt_stack: StackUrls) -> str:
    name = f"vt_trmig_{uuid.uuid4().hex[:8]}"
    url = ensure_database(vt_stack.server_url, name)
    yield url
    drop_database(vt_stack.server_url, name)


def _tables(url: str, schema: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return set(inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_both_schemas(scratch_db: str) -> None:
    upgrade(scratch_db)
    for schema in SCHEMAS:
        assert _tables(scratch_db, schema) == set(t.split(".")[1] for t in TRADING_TABLES)
    downgrade(scratch_db, "0001")
    with psycopg.connect(scratch_db) as conn:
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'trading_%'"
        ).fetchall()
    assert left == []
    upgrade(scratch_db)
    for schema in SCHEMAS:
        assert len(_tables(scratch_db, schema)) == len(TRADING_TABLES)


def test_models_match_the_migration(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vt_db.trading_models import PLACEHOLDER_SCHEMA, TradingBase

    for schema in SCHEMAS:
        engine = create_engine(
            plain(database_url).replace("postgresql://", "postgresql+psycopg://"),
            execution_options={"schema_translate_map": {PLACEHOLDER_SCHEMA: schema}},
        )
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "include_name": lambda name, type_, _p, schema=schema: (
                        type_ != "schema" or name == schema
                    ),
                },
            )
            # compare under the real schema name: rename the placeholder in a copy of the metadata
            from sqlalchemy import MetaData

            md = MetaData()
            for table in TradingBase.metadata.sorted_tables:
                table.to_metadata(md, schema=schema)
            diff = _without_renamed_indexes(compare_metadata(ctx, md), schema)
        engine.dispose()
        assert diff == [], f"{schema}: models and migration differ: {diff}"


def _without_renamed_indexes(diff: list[object], schema: str) -> list[object]:
    """Index names carry the placeholder schema (`ix_trading_<table>_<col>`); the copy of the
    metadata under the real schema names them `ix_<schema>_...`: the same index."""

    def key(index: Any) -> tuple[str, tuple[str, ...], bool]:
        return (index.table.name, tuple(c.name for c in index.columns), bool(index.unique))

    removed = {key(d[1]) for d in diff if isinstance(d, tuple) and d[0] == "remove_index"}
    added = {key(d[1]) for d in diff if isinstance(d, tuple) and d[0] == "add_index"}
    same = removed & added
    return [
        d
        for d in diff
        if not (
            isinstance(d, tuple) and d[0] in ("remove_index", "add_index") and key(d[1]) in same
        )
    ]


def _live_account(database_url: str) -> str:
    aid = str(uuid.uuid4())
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO trading_live.broker_accounts (id, user_id, name, venue, environment, base_currency, "
            "starting_cash, risk_limits, is_default) VALUES (%s, %s, 'live one', 'ibkr', 'live', "
            "'USD', 1000, '{}', false)",
            (aid, str(uuid.uuid4())),
        )
    return aid


def test_paper_role_cannot_read_live_rows(database_url: str) -> None:
    _live_account(database_url)
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute("SET ROLE vt_trading_paper")
        conn.execute("SELECT count(*) FROM trading_paper.broker_accounts").fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM trading_live.broker_accounts")
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute("SET ROLE vt_trading_live")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM trading_paper.orders")
        # and the platform's own tables are out of reach too
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM public.users")


async def test_paper_process_engine_cannot_reach_live(database_url: str) -> None:
    """The engine a paper process uses runs as the paper role: even hand-written SQL fails."""
    _live_account(database_url)
    engine = await make_trading_engine(database_url, "paper")
    try:
        async with engine.connect() as conn:
            role = await conn.scalar(text("SELECT current_user"))
            assert role == "vt_trading_paper"
            with pytest.raises(Exception, match="permission denied"):
                await conn.execute(text("SELECT count(*) FROM trading_live.broker_accounts"))
    finally:
        await engine.dispose()


def test_audit_log_is_append_only(database_url: str) -> None:
    with psycopg.connect(plain(database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO trading_paper.audit_log (account_id, actor, kind, record, prev_hash, hash) "
            "VALUES (%s, 'test', 'x', '{}', 'a', 'b')",
            (str(uuid.uuid4()),),
        )
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("UPDATE trading_paper.audit_log SET kind = 'y'")
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM trading_paper.audit_log")
