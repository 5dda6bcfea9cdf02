"""Backtest runs can be cancelled: status `cancelled`.

Revision ID: 0005_run_cancel
Revises: 0004_accounts
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0005_run_cancel"
down_revision = "0004_accounts"
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'running', 'succeeded', 'failed')"
NEW = "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_backtest_runs_status"), "backtest_runs", type_="check")
    op.create_check_constraint(op.f("ck_backtest_runs_status"), "backtest_runs", NEW)


def downgrade() -> None:
    # the older code knows no 'cancelled': such runs read as failed, with the reason kept
    op.execute(
        "UPDATE backtest_runs SET status = 'failed', "
        'error = coalesce(error, \'{"title": "Cancelled", "status": 409}\'::jsonb) '
        "WHERE status = 'cancelled'"
    )
    op.drop_constraint(op.f("ck_backtest_runs_status"), "backtest_runs", type_="check")
    op.create_check_constraint(op.f("ck_backtest_runs_status"), "backtest_runs", OLD)
