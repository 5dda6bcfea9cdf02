"""Trading tables, one set per environment schema (trading_paper, trading_live), and the
NOLOGIN roles vt_trading_paper / vt_trading_live with privileges on their own schema only.

The roles are created only when the migrating user may create roles (a superuser or
CREATEROLE); otherwise the schemas still separate paper from live and the service logs that
it runs without role separation. Roles are cluster-wide: the downgrade drops what they own in
this database and then the role itself if no other database still uses it.

The audit log is append-only: a trigger refuses UPDATE and DELETE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# ruff: noqa: S608 - identifiers come from the fixed ENVIRONMENTS tuple, never from input

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ENVIRONMENTS = ("paper", "live")
TABLES = (
    "audit_log",
    "paper_executions",
    "paper_orders",
    "paper_balances",
    "runner_leases",
    "exceptions",
    "risk_states",
    "pnl_marks",
    "positions",
    "fills",
    "orders",
    "target_snapshots",
    "replay_clocks",
    "deployments",
    "broker_accounts",
)


def _can_create_roles() -> bool:
    bind = op.get_bind()
    found = bind.execute(
        sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    return bool(found)


def _create_tables(schema: str) -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        schema=schema,
    )
    op.create_index(
        "ix_audit_log_account_seq", "audit_log", ["account_id", "seq"], unique=False, schema=schema
    )
    op.create_table(
        "broker_accounts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("venue", sa.String(length=40), nullable=False),
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("base_currency", sa.String(length=5), nullable=False),
        sa.Column("starting_cash", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("credentials_enc", sa.Text(), nullable=True),
        sa.Column("risk_limits", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "environment IN ('paper', 'live')", name=op.f("ck_broker_accounts_environment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_accounts")),
        sa.UniqueConstraint("user_id", "name", name="uq_broker_accounts_user_name"),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_broker_accounts_user_id"),
        "broker_accounts",
        ["user_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec_hash", sa.String(length=128), nullable=False),
        sa.Column("spec", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("backtest_id", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("venue", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("capital", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("review_mode", sa.String(length=8), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("symbols", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("instrument_map", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("gates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("trade_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_bar_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_phase", sa.String(length=8), nullable=True),
        sa.Column("triggered", sa.Boolean(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'paused', 'stopped', 'expired', 'failed')",
            name=op.f("ck_deployments_status"),
        ),
        sa.CheckConstraint("capital > 0", name=op.f("ck_deployments_capital_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_deployments_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_deployments_account_id"),
        "deployments",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_deployments_user_id"),
        "deployments",
        ["user_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "paper_balances",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("cash", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("positions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("exec_seq", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_paper_balances_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_paper_balances")),
        schema=schema,
    )
    op.create_table(
        "paper_executions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("client_order_id", sa.String(length=36), nullable=False),
        sa.Column("execution_id", sa.String(length=96), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("price", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_paper_executions_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_executions")),
        sa.UniqueConstraint("account_id", "execution_id", name="uq_paper_executions_account_exec"),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_paper_executions_account_id"),
        "paper_executions",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_paper_executions_seq"),
        "paper_executions",
        ["seq"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "paper_orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=36), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("filled_qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("limit_price", sa.Numeric(precision=30, scale=10), nullable=True),
        sa.Column("stop_price", sa.Numeric(precision=30, scale=10), nullable=True),
        sa.Column("oco_group", sa.String(length=64), nullable=True),
        sa.Column("costs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('working', 'filled', 'cancelled', 'rejected')",
            name=op.f("ck_paper_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_paper_orders_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_orders")),
        sa.UniqueConstraint("account_id", "client_order_id", name="uq_paper_orders_account_coid"),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_paper_orders_account_id"),
        "paper_orders",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "runner_leases",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "acquired_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_runner_leases_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_runner_leases")),
        schema=schema,
    )
    op.create_table(
        "exceptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_exceptions_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_exceptions_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_exceptions_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_exceptions_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exceptions")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_exceptions_account_id"),
        "exceptions",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_exceptions_deployment_id"),
        "exceptions",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("target_id", sa.UUID(), nullable=True),
        sa.Column("client_order_id", sa.String(length=36), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("filled_qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("avg_fill_price", sa.Numeric(precision=30, scale=10), nullable=True),
        sa.Column("limit_price", sa.Numeric(precision=30, scale=10), nullable=True),
        sa.Column("stop_price", sa.Numeric(precision=30, scale=10), nullable=True),
        sa.Column("oco_group", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("risk_decision", sa.String(length=8), nullable=False),
        sa.Column("risk_reason", sa.Text(), nullable=True),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("bar_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("side IN ('buy', 'sell')", name=op.f("ck_orders_side")),
        sa.CheckConstraint(
            "state IN ('new', 'submitting', 'accepted', 'partially_filled', 'filled', 'cancel_pending', 'cancelled', 'rejected', 'expired', 'unknown')",
            name=op.f("ck_orders_state"),
        ),
        sa.CheckConstraint(
            "filled_qty >= 0 AND filled_qty <= qty", name=op.f("ck_orders_filled_within_qty")
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_orders_qty_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_orders_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_orders_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("account_id", "client_order_id", name="uq_orders_account_coid"),
        schema=schema,
    )
    op.create_index(
        "ix_orders_account_state", "orders", ["account_id", "state"], unique=False, schema=schema
    )
    op.create_index(
        op.f("ix_trading_orders_account_id"), "orders", ["account_id"], unique=False, schema=schema
    )
    op.create_index(
        op.f("ix_trading_orders_deployment_id"),
        "orders",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "pnl_marks",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("realized_pnl", sa.Float(), nullable=False),
        sa.Column("unrealized_pnl", sa.Float(), nullable=False),
        sa.Column("fees", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_pnl_marks_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_pnl_marks_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pnl_marks")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_pnl_marks_account_id"),
        "pnl_marks",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_pnl_marks_deployment_id"),
        "pnl_marks",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        "uq_pnl_marks_account_deployment_ts",
        "pnl_marks",
        ["account_id", "deployment_id", "ts"],
        unique=True,
        schema=schema,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "positions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("avg_price", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("multiplier", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("inverse", sa.Boolean(), nullable=False),
        sa.Column("realized_pnl", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("last_price", sa.Numeric(precision=30, scale=10), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_positions_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_positions_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_positions_account_id"),
        "positions",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_positions_deployment_id"),
        "positions",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        "uq_positions_account_deployment_symbol",
        "positions",
        ["account_id", "deployment_id", "symbol"],
        unique=True,
        schema=schema,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "replay_clocks",
        sa.Column("deployment_id", sa.UUID(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("bars_per_second", sa.Float(), nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bars_done", sa.Integer(), nullable=False),
        sa.Column("bars_total", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_replay_clocks_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", name=op.f("pk_replay_clocks")),
        schema=schema,
    )
    op.create_table(
        "risk_states",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("killed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flatten_latched", sa.Boolean(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('active', 'reducing', 'halted', 'killed', 'paused')",
            name=op.f("ck_risk_states_state"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_risk_states_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_risk_states_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_states")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_risk_states_account_id"),
        "risk_states",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_risk_states_deployment_id"),
        "risk_states",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        "uq_risk_states_account_deployment",
        "risk_states",
        ["account_id", "deployment_id"],
        unique=True,
        schema=schema,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "target_snapshots",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bar_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.String(length=12), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("signal", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "review IN ('proposed', 'approved', 'applied', 'rejected', 'superseded')",
            name=op.f("ck_target_snapshots_review"),
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_target_snapshots_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_snapshots")),
        sa.UniqueConstraint("deployment_id", "seq", name="uq_target_snapshots_deployment_seq"),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_target_snapshots_deployment_id"),
        "target_snapshots",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "fills",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("client_order_id", sa.String(length=36), nullable=False),
        sa.Column("venue", sa.String(length=40), nullable=False),
        sa.Column("execution_id", sa.String(length=96), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("qty", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("price", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_fills_qty_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_fills_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_fills_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            [f"{schema}.orders.id"],
            name=op.f("fk_fills_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("venue", "execution_id", name="uq_fills_venue_execution"),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_fills_account_id"), "fills", ["account_id"], unique=False, schema=schema
    )
    op.create_index(
        op.f("ix_trading_fills_deployment_id"),
        "fills",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_fills_order_id"), "fills", ["order_id"], unique=False, schema=schema
    )


def _append_only(schema: str) -> None:
    op.execute(
        f"""
        CREATE FUNCTION {schema}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
        END $$
        """
    )
    op.execute(
        f"CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {schema}.audit_log "
        f"FOR EACH ROW EXECUTE FUNCTION {schema}.audit_log_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {schema}.audit_log "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.audit_log_append_only()"
    )


def _grant(environment: str) -> None:
    schema, role = f"trading_{environment}", f"vt_trading_{environment}"
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it at the same moment
        END $$
        """
    )
    # the migrating (login) user may SET ROLE to it; superusers may anyway
    op.execute(f"GRANT {role} TO current_user")
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_log FROM {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")


def upgrade() -> None:
    roles = _can_create_roles()
    for environment in ENVIRONMENTS:
        schema = f"trading_{environment}"
        op.execute(f"CREATE SCHEMA {schema}")
        _create_tables(schema)
        _append_only(schema)
        if roles:
            _grant(environment)


def downgrade() -> None:
    roles = _can_create_roles()
    for environment in ENVIRONMENTS:
        schema, role = f"trading_{environment}", f"vt_trading_{environment}"
        op.execute(f"DROP SCHEMA {schema} CASCADE")
        if roles:
            op.execute(
                f"""
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                        EXECUTE 'DROP OWNED BY {role}';
                        BEGIN
                            EXECUTE 'DROP ROLE {role}';
                        EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
                            -- still used by another database of this cluster: keep it
                            NULL;
                        END;
                    END IF;
                END $$
                """
            )
