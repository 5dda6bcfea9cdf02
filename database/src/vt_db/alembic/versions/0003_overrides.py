"""Risk overrides (close-only, reduce-only, no-trading at account / deployment / instrument
level) and the instrument allow-list, in both trading schemas.

Revision ID: 0003_overrides
Revises: 0003_ccxt
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# ruff: noqa: S608 - identifiers come from the fixed ENVIRONMENTS tuple, never from input

revision = "0003_overrides"
down_revision = "0003_ccxt"
branch_labels = None
depends_on = None

ENVIRONMENTS = ("paper", "live")


def _create(schema: str) -> None:
    op.create_table(
        "risk_overrides",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column(
            "set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "level IN ('account', 'deployment', 'instrument')",
            name=op.f("ck_risk_overrides_level"),
        ),
        sa.CheckConstraint(
            "mode IN ('no_trading', 'close_only', 'reduce_only')",
            name=op.f("ck_risk_overrides_mode"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_risk_overrides_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            [f"{schema}.deployments.id"],
            name=op.f("fk_risk_overrides_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_overrides")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_risk_overrides_account_id"),
        "risk_overrides",
        ["account_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        op.f("ix_trading_risk_overrides_deployment_id"),
        "risk_overrides",
        ["deployment_id"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        "uq_risk_overrides_scope",
        "risk_overrides",
        ["account_id", "level", "target"],
        unique=True,
        schema=schema,
    )
    op.create_table(
        "instrument_allow_lists",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("symbols", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column(
            "set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{schema}.broker_accounts.id"],
            name=op.f("fk_instrument_allow_lists_account_id_broker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_instrument_allow_lists")),
        schema=schema,
    )


def _grant(environment: str) -> None:
    """The environment's role (0002 created it when it could) gets the new tables too."""
    schema, role = f"trading_{environment}", f"vt_trading_{environment}"
    op.execute(
        f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.risk_overrides, '
                        '{schema}.instrument_allow_lists TO {role}';
            END IF;
        END $$
        """
    )


def upgrade() -> None:
    for environment in ENVIRONMENTS:
        _create(f"trading_{environment}")
        _grant(environment)


def downgrade() -> None:
    for environment in ENVIRONMENTS:
        schema = f"trading_{environment}"
        op.drop_table("instrument_allow_lists", schema=schema)
        op.drop_table("risk_overrides", schema=schema)
