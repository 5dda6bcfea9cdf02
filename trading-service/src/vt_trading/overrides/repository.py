"""Queries of the overrides domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import AllowListRow, RiskOverrideRow


async def overrides_of(
    session: AsyncSession, account_id: uuid.UUID, *, levels: Sequence[str] | None = None
) -> list[RiskOverrideRow]:
    q = select(RiskOverrideRow).where(RiskOverrideRow.account_id == account_id)
    if levels is not None:
        q = q.where(RiskOverrideRow.level.in_(levels))
    rows = await session.scalars(q.order_by(RiskOverrideRow.level, RiskOverrideRow.target))
    return list(rows.all())


async def deployment_override(
    session: AsyncSession, account_id: uuid.UUID, deployment_id: uuid.UUID
) -> RiskOverrideRow | None:
    row: RiskOverrideRow | None = await session.scalar(
        select(RiskOverrideRow).where(
            RiskOverrideRow.account_id == account_id,
            RiskOverrideRow.level == "deployment",
            RiskOverrideRow.target == str(deployment_id),
        )
    )
    return row


async def allow_list(session: AsyncSession, account_id: uuid.UUID) -> AllowListRow | None:
    row: AllowListRow | None = await session.get(AllowListRow, account_id)
    return row


def add(session: AsyncSession, row: RiskOverrideRow | AllowListRow) -> None:
    session.add(row)


async def delete(session: AsyncSession, row: RiskOverrideRow | AllowListRow) -> None:
    await session.delete(row)
