"""Venue cursors: the execution watermark per broker account (fills since a watermark, for the
exchange adapters and for paper), in both trading schemas.

Revision ID: 0003_ccxt
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# ruff: noqa: S608 - identifiers come from the fixed ENVIRONMENTS tuple, never from input

revision = "0003_ccxt"
down_revision = "0002"
branch_labels = None
depends_on = None

ENVIRONMENTS = ("paper", "live")


def upgrade() -> None:
    for environment in ENVIRONMENTS:
        schema, role = f"trading_{environment}", f"vt_trading_{environment}"
        op.create_table(
            "venue_cursors",
            sa.Column("account_id", sa.UUID(), nullable=False),
            sa.Column("watermark", sa.Text(), nullable=True),
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                server_default=sa.text("now()"),
                nullable=False,
            ),
            sa.ForeignKeyConstraint(
                ["account_id"],
                [f"{schema}.broker_accounts.id"],
                name=op.f("fk_venue_cursors_account_id_broker_accounts"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("account_id", name=op.f("pk_venue_cursors")),
            schema=schema,
        )
        # the environment's role (0002) gets the new table too, when that role exists
        op.execute(
            f"""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.venue_cursors TO {role}';
                END IF;
            END $$
            """
        )


def downgrade() -> None:
    for environment in ENVIRONMENTS:
        op.drop_table("venue_cursors", schema=f"trading_{environment}")
