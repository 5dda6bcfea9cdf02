"""Equity of accounts and deployments from our positions (the ledger's own numbers)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import BrokerAccountRow, PositionRow


def unrealized(row: PositionRow) -> Decimal:
    """Marked value gain of an open position (inverse contracts: in the base coin)."""
    if row.last_price is None or row.qty == 0:
        return Decimal(0)
    if row.inverse:
        if row.avg_price == 0 or row.last_price == 0:
            return Decimal(0)
        return row.qty * row.multiplier * (1 / row.avg_price - 1 / row.last_price)
    return row.qty * (row.last_price - row.avg_price) * row.multiplier


async def positions_of(
    session: AsyncSession, account_id: uuid.UUID, deployment_id: uuid.UUID | None = None
) -> list[PositionRow]:
    q = select(PositionRow).where(PositionRow.account_id == account_id)
    if deployment_id is not None:
        q = q.where(PositionRow.deployment_id == deployment_id)
    return list((await session.scalars(q.order_by(PositionRow.symbol))).all())


async def account_equity(session: AsyncSession, account: BrokerAccountRow) -> Decimal:
    rows = await positions_of(session, account.id)
    return (
        Decimal(account.starting_cash)
        + sum((r.realized_pnl for r in rows), Decimal(0))
        + sum((unrealized(r) for r in rows), Decimal(0))
    )


def deployment_equity(
    capital: Decimal, rows: list[PositionRow]
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(equity, realized, unrealized, fees) of one deployment's positions."""
    realized = sum((r.realized_pnl for r in rows), Decimal(0))
    unreal = sum((unrealized(r) for r in rows), Decimal(0))
    fees = sum((r.fees for r in rows), Decimal(0))
    return capital + realized + unreal, realized, unreal, fees
