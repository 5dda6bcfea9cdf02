"""Queries of the accounts domain."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import BrokerAccountRow, PaperBalanceRow, RiskStateRow


async def get(
    session: AsyncSession, user_id: uuid.UUID, account_id: uuid.UUID
) -> BrokerAccountRow | None:
    row: BrokerAccountRow | None = await session.scalar(
        select(BrokerAccountRow).where(
            BrokerAccountRow.id == account_id, BrokerAccountRow.user_id == user_id
        )
    )
    return row


async def get_any(session: AsyncSession, account_id: uuid.UUID) -> BrokerAccountRow | None:
    """Without user scope: for the runner, which acts for whoever owns the account."""
    return await session.get(BrokerAccountRow, account_id)


async def default_for(
    session: AsyncSession, user_id: uuid.UUID, venue: str
) -> BrokerAccountRow | None:
    row: BrokerAccountRow | None = await session.scalar(
        select(BrokerAccountRow)
        .where(BrokerAccountRow.user_id == user_id, BrokerAccountRow.venue == venue)
        .order_by(BrokerAccountRow.is_default.desc(), BrokerAccountRow.created_at)
        .limit(1)
    )
    return row


async def name_taken(session: AsyncSession, user_id: uuid.UUID, name: str) -> bool:
    found = await session.scalar(
        select(BrokerAccountRow.id).where(
            BrokerAccountRow.user_id == user_id, BrokerAccountRow.name == name
        )
    )
    return found is not None


def add(session: AsyncSession, row: BrokerAccountRow) -> None:
    session.add(row)


def add_paper_balance(session: AsyncSession, account_id: uuid.UUID, cash: object) -> None:
    session.add(PaperBalanceRow(account_id=account_id, cash=cash, positions={}, exec_seq=0))


def add_risk_state(session: AsyncSession, account_id: uuid.UUID, data: dict[str, object]) -> None:
    session.add(RiskStateRow(account_id=account_id, deployment_id=None, state="active", data=data))
