"""The single Alembic history against real PostgreSQL: up, down, up again; integrity enforced."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from vt_db.migrate import downgrade, upgrade
from vt_db.models import Base
from vt_devstack.embedded import drop_database, ensure_database
from vt_devstack.pytest_plugin import StackUrls

EXPECTED_TABLES = {
    "users",
    "auth_tokens",
    "personal_access_tokens",
    "strategies",
    "strategy_versions",
    "conversations",
    "conversation_messages",
    "backtest_runs",
    "backtest_results",
    "market_cache",
    "market_cache_coverage",
    "user_datasets",
    "user_dataset_bars",
    "research_summaries",
}


@pytest.fixture
def scratch_db(vt_stack: StackUrls) -> str:
    name = f"vt_migr_{uuid.uuid4().hex[:8]}"
    url = ensure_database(vt_stack.server_url, name)
    yield url
    drop_database(vt_stack.server_url, name)


def _tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_db: str) -> None:
    upgrade(scratch_db)
    assert _tables(scratch_db) == EXPECTED_TABLES
    downgrade(scratch_db, "base")
    assert _tables(scratch_db) == set()
    upgrade(scratch_db)
    assert _tables(scratch_db) == EXPECTED_TABLES


def test_models_match_the_migration(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_foreign_keys_and_checks_are_enforced(clean_db: str) -> None:
    with psycopg.connect(clean_db, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                "INSERT INTO strategies (id, user_id, name, spec) VALUES (%s, %s, 'x', '{}')",
                (uuid.uuid4(), uuid.uuid4()),
            )
        user_id = uuid.uuid4()
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, 'A@x.io', 'h')", (user_id,)
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO users (id, email, password_hash) VALUES (%s, 'a@X.io', 'h')",
                (uuid.uuid4(),),
            )
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO backtest_runs (id, user_id, status, request) VALUES (%s, %s, 'exploded', '{}')",
                (uuid.uuid4(), user_id),
            )
        strategy_id = uuid.uuid4()
        conn.execute(
            "INSERT INTO strategies (id, user_id, name, spec) VALUES (%s, %s, 'x', '{\"name\": \"x\"}')",
            (strategy_id, user_id),
        )
        conn.execute(
            "INSERT INTO strategy_versions (id, strategy_id, version, spec, spec_hash) VALUES (%s, %s, 1, '{}', 'h')",
            (uuid.uuid4(), strategy_id),
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO strategy_versions (id, strategy_id, version, spec, spec_hash) VALUES (%s, %s, 1, '{}', 'h')",
                (uuid.uuid4(), strategy_id),
            )
        # deleting a user cascades to everything they own
        conn.execute("DELETE FROM users WHERE id = %s", (user_id,))
        assert conn.execute("SELECT count(*) FROM strategy_versions").fetchone() == (0,)


def test_strategy_specs_have_gin_indexes(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('strategies', 'strategy_versions') AND indexdef LIKE '%gin%'"
        ).fetchall()
    assert {r[0] for r in rows} == {"ix_strategies_spec_gin", "ix_strategy_versions_spec_gin"}


def test_market_cache_is_hypertable_only_when_timescale_exists(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
        installed = conn.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"
        ).fetchone()
    assert bool(installed) == bool(available)


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_accounts_revision_up_and_down(scratch_db: str) -> None:
    """0004_accounts: a user disabled before it gets a `disabled_at`; the two columns always agree
    afterwards; down removes the column and its check."""
    upgrade(scratch_db, "0003_tokens")
    assert "disabled_at" not in _columns(scratch_db, "users")
    disabled, enabled = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash, is_active) VALUES (%s, 'off@x.io', 'h', false), (%s, 'on@x.io', 'h', true)",
            (disabled, enabled),
        )
    upgrade(scratch_db, "0004_accounts")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        rows = dict(conn.execute("SELECT id, disabled_at IS NOT NULL FROM users").fetchall())
        assert rows == {disabled: True, enabled: False}
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE users SET is_active = false WHERE id = %s", (enabled,))
        conn.execute(
            "UPDATE users SET is_active = false, disabled_at = now() WHERE id = %s", (enabled,)
        )
    downgrade(scratch_db, "0003_tokens")
    assert "disabled_at" not in _columns(scratch_db, "users")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE NOT is_active").fetchone() == (2,)
    upgrade(scratch_db)
    assert "disabled_at" in _columns(scratch_db, "users")


def test_run_cancel_revision_up_and_down(scratch_db: str) -> None:
    """0005_run_cancel admits `cancelled`; down turns such runs into failed ones (older code)."""
    upgrade(scratch_db, "0005_run_cancel")
    user, run = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, 'c@x.io', 'h')", (user,)
        )
        conn.execute(
            "INSERT INTO backtest_runs (id, user_id, status, request) "
            "VALUES (%s, %s, 'cancelled', '{}')",
            (run, user),
        )
    downgrade(scratch_db, "0004_accounts")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        assert conn.execute(
            "SELECT status, error->>'title' FROM backtest_runs WHERE id = %s", (run,)
        ).fetchone() == ("failed", "Cancelled")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE backtest_runs SET status = 'cancelled'")
    upgrade(scratch_db)
