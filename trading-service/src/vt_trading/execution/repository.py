"""Queries of the execution domain."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import FillRow, OrderRow, PositionRow, TargetSnapshotRow

WORKING = ("new", "submitting", "accepted", "partially_filled", "cancel_pending", "unknown")
"""States whose remaining quantity may still trade (unknown included: fail closed)."""


async def order_by_coid(
    session: AsyncSession, account_id: uuid.UUID, coid: str, *, lock: bool = False
) -> OrderRow | None:
    q = select(OrderRow).where(OrderRow.account_id == account_id, OrderRow.client_order_id == coid)
    if lock:
        q = q.with_for_update()
    row: OrderRow | None = await session.scalar(q)
    return row


async def working_orders(
    session: AsyncSession,
    account_id: uuid.UUID,
    deployment_id: uuid.UUID | None = None,
    *,
    types: tuple[str, ...] | None = None,
) -> list[OrderRow]:
    q = select(OrderRow).where(OrderRow.account_id == account_id, OrderRow.state.in_(WORKING))
    if deployment_id is not None:
        q = q.where(OrderRow.deployment_id == deployment_id)
    if types is not None:
        q = q.where(OrderRow.type.in_(types))
    return list((await session.scalars(q.order_by(OrderRow.created_at))).all())


async def insert_fill(session: AsyncSession, values: dict[str, object]) -> uuid.UUID | None:
    """Insert unless (venue, execution_id) exists: None means a duplicate (a no-op)."""
    new_id: uuid.UUID | None = await session.scalar(
        insert(FillRow)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=["venue", "execution_id"])
        .returning(FillRow.id)
    )
    return new_id


async def position(
    session: AsyncSession,
    account_id: uuid.UUID,
    deployment_id: uuid.UUID | None,
    symbol: str,
    *,
    multiplier: Decimal = Decimal(1),
    inverse: bool = False,
) -> PositionRow:
    """The position row, created flat if missing, locked for this transaction."""
    q = select(PositionRow).where(
        PositionRow.account_id == account_id,
        PositionRow.symbol == symbol,
        PositionRow.deployment_id.is_(None)
        if deployment_id is None
        else PositionRow.deployment_id == deployment_id,
    )
    row: PositionRow | None = await session.scalar(q.with_for_update())
    if row is None:
        await session.execute(
            insert(PositionRow)
            .values(
                id=uuid.uuid4(),
                account_id=account_id,
                deployment_id=deployment_id,
                symbol=symbol,
                qty=Decimal(0),
                avg_price=Decimal(0),
                multiplier=multiplier,
                inverse=inverse,
                realized_pnl=Decimal(0),
                fees=Decimal(0),
            )
            .on_conflict_do_nothing()
        )
        row = await session.scalar(q.with_for_update())
        assert row is not None
    return row


async def last_snapshot(
    session: AsyncSession, deployment_id: uuid.UUID
) -> TargetSnapshotRow | None:
    row: TargetSnapshotRow | None = await session.scalar(
        select(TargetSnapshotRow)
        .where(TargetSnapshotRow.deployment_id == deployment_id)
        .order_by(TargetSnapshotRow.seq.desc())
        .limit(1)
    )
    return row


async def next_seq(session: AsyncSession, deployment_id: uuid.UUID) -> int:
    current = await session.scalar(
        select(func.max(TargetSnapshotRow.seq)).where(
            TargetSnapshotRow.deployment_id == deployment_id
        )
    )
    return int(current or 0) + 1
