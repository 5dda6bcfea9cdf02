"""Queries of the deployments domain."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import DeploymentRow, ReplayClockRow, RiskStateRow

ACTIVE = ("pending", "running", "paused")


async def get(
    session: AsyncSession, user_id: uuid.UUID, deployment_id: uuid.UUID
) -> DeploymentRow | None:
    row: DeploymentRow | None = await session.scalar(
        select(DeploymentRow).where(
            DeploymentRow.id == deployment_id, DeploymentRow.user_id == user_id
        )
    )
    return row


async def allocated(
    session: AsyncSession, account_id: uuid.UUID, exclude: uuid.UUID | None = None
) -> Decimal:
    q = select(func.coalesce(func.sum(DeploymentRow.capital), 0)).where(
        DeploymentRow.account_id == account_id, DeploymentRow.status.in_(ACTIVE)
    )
    if exclude is not None:
        q = q.where(DeploymentRow.id != exclude)
    return Decimal(await session.scalar(q) or 0)


async def replay_of(session: AsyncSession, deployment_id: uuid.UUID) -> ReplayClockRow | None:
    return await session.get(ReplayClockRow, deployment_id)


async def risk_of(session: AsyncSession, deployment: DeploymentRow) -> RiskStateRow | None:
    """The deployment's own breaker state, else the account's."""
    rows = (
        await session.scalars(
            select(RiskStateRow).where(
                RiskStateRow.account_id == deployment.account_id,
                (RiskStateRow.deployment_id == deployment.id)
                | RiskStateRow.deployment_id.is_(None),
            )
        )
    ).all()
    account = next((r for r in rows if r.deployment_id is None), None)
    own = next((r for r in rows if r.deployment_id is not None), None)
    # the worse of the two is what governs the deployment
    order = ["active", "paused", "reducing", "halted", "killed"]
    candidates = [r for r in (account, own) if r is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda r: order.index(r.state))
