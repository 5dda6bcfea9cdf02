"""Account management: when an administrator disabled a user (`users.disabled_at`).

Revision ID: 0004_accounts
Revises: 0003_tokens
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_accounts"
down_revision = "0003_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    # accounts disabled before this revision keep a date, so the two columns always agree
    op.execute("UPDATE users SET disabled_at = updated_at WHERE NOT is_active")
    op.create_check_constraint(
        op.f("ck_users_disabled_at"), "users", "is_active = (disabled_at IS NULL)"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_users_disabled_at"), "users", type_="check")
    op.drop_column("users", "disabled_at")
