"""Test helpers: a paper broker account and order rows in PostgreSQL, and the import step of
reconciliation (executions since the watermark → the trading core's idempotent ingest)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vt_db.trading_models import OrderRow
from vt_trading.brokers.base import VenueExecution, Watermark
from vt_trading.brokers.ibkr import IbkrBroker
from vt_trading.execution.service import ingest_execution


def make_account(database_url: str) -> uuid.UUID:
    account_id = uuid.uuid4()
    with psycopg.connect(database_url.replace("+asyncpg", ""), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO trading_paper.broker_accounts (id, user_id, name, venue, environment, "
            "base_currency, starting_cash, risk_limits, is_default) VALUES "
            "(%s, %s, 'ib paper', 'ibkr', 'paper', 'USD', 1000000, '{}', false)",
            (str(account_id), str(uuid.uuid4())),
        )
    return account_id


async def make_order(
    engine: AsyncEngine,
    account_id: uuid.UUID,
    coid: str,
    *,
    symbol: str = "AAPL",
    side: str = "buy",
    qty: int = 10,
    state: str = "submitting",
) -> None:
    async with AsyncSession(engine) as session, session.begin():
        session.add(
            OrderRow(
                account_id=account_id,
                client_order_id=coid,
                symbol=symbol,
                side=side,
                type="market",
                qty=Decimal(qty),
                state=state,
                reason="test",
            )
        )


async def order_row(engine: AsyncEngine, account_id: uuid.UUID, coid: str) -> OrderRow:
    from sqlalchemy import select

    async with AsyncSession(engine) as session:
        row = await session.scalar(
            select(OrderRow).where(
                OrderRow.account_id == account_id, OrderRow.client_order_id == coid
            )
        )
        assert row is not None
        return row


@dataclass
class Importer:
    """The reconciliation import step as an `on_ready` hook: every (re)connect and 1101/1102
    pulls executions since the watermark and ingests them (a duplicate is a no-op)."""

    broker: IbkrBroker
    engine: AsyncEngine
    account_id: uuid.UUID
    watermark: Watermark | None = None
    reasons: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    seen: list[VenueExecution] = field(default_factory=list)

    async def __call__(self, reason: str) -> None:
        self.reasons.append(reason)
        await self.run()

    async def run(self, watermark: Watermark | None = None, *, from_start: bool = False) -> None:
        page = await self.broker.executions_since(None if from_start else self.watermark)
        async with AsyncSession(self.engine) as session, session.begin():
            for e in page.executions:
                self.seen.append(e)
                done = await ingest_execution(
                    session,
                    self.account_id,
                    venue="ibkr",
                    execution_id=e.execution_id,
                    client_order_id=e.client_order_id or "",
                    ts=e.ts,
                    symbol=e.symbol,
                    side=e.side,
                    qty=e.qty,
                    price=e.price,
                    fees=e.fees,
                )
                (self.imported if done is not None else self.duplicates).append(e.execution_id)
        if not from_start:
            self.watermark = page.watermark
