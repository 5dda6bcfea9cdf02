"""The paper venue behind the `Broker` interface.

`paper.broker.PaperBroker` works inside the runner's own transaction (its fills come from the
bar clock of the step). This adapter gives the same persisted book the shape every venue has,
each call in its own short transaction, so reconciliation, the contract tests and anything else
that talks to "a broker" treat paper like any exchange. The watermark is the venue's execution
sequence number.

Orders placed here belong to `scope` (the clock whose bars fill them); the paper venue has no
market of its own, so marks for `balances().equity` are the last execution price per symbol.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_db.trading_models import PaperBalanceRow, PaperExecutionRow
from vt_trading.brokers.base import (
    BrokerUnavailable,
    ExecutionPage,
    OrderRefused,
    PlaceResult,
    VenueBalances,
    VenueExecution,
    VenueOpenOrder,
    VenueOrder,
    Watermark,
)
from vt_trading.paper.broker import VENUE, PaperBroker
from vt_trading.paper.matching import CostModel, PaperOrder


class PaperVenue:
    """One paper account, `Broker`-shaped."""

    venue = VENUE

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        account_id: uuid.UUID,
        *,
        scope: str = "broker",
        costs: CostModel | None = None,
        currency: str = "USD",
    ) -> None:
        self.sessionmaker = sessionmaker
        self.account_id = account_id
        self.scope = scope
        self.costs = costs or CostModel()
        self.currency = currency

    async def connect(self) -> None:
        async with self.sessionmaker() as s:
            if await s.get(PaperBalanceRow, self.account_id) is None:
                raise BrokerUnavailable(
                    f"paper account {self.account_id} has no paper book; it was not created as "
                    "a paper account."
                )

    async def close(self) -> None:
        return None

    async def server_time(self) -> datetime:
        return datetime.now(UTC)

    async def place(self, order: VenueOrder) -> PlaceResult:
        if order.qty <= 0:
            raise OrderRefused(f"quantity must be positive, got {order.qty}.", code="qty")
        if order.type == "limit" and order.limit_price is None:
            raise OrderRefused("a limit order needs a limit price.", code="price")
        if order.type == "stop" and order.stop_price is None:
            raise OrderRefused("a stop order needs a stop price.", code="price")
        async with self.sessionmaker() as s, s.begin():
            res = await PaperBroker(s, self.account_id).place(
                self.scope,
                PaperOrder(
                    client_order_id=order.client_order_id,
                    symbol=order.symbol,
                    side=order.side,
                    type=order.type,
                    qty=order.qty,
                    limit_price=order.limit_price,
                    stop_price=order.stop_price,
                    oco_group=order.oco_group,
                ),
                self.costs,
            )
        return PlaceResult(res.accepted, res.broker_order_id, res.duplicate, res.detail)

    async def cancel(self, client_order_id: str) -> bool:
        async with self.sessionmaker() as s, s.begin():
            return await PaperBroker(s, self.account_id).cancel(client_order_id)

    async def open_orders(self) -> Sequence[VenueOpenOrder]:
        async with self.sessionmaker() as s:
            rows = await PaperBroker(s, self.account_id).open_orders()
        return [
            VenueOpenOrder(
                client_order_id=r.client_order_id,
                broker_order_id=str(r.id),
                symbol=r.symbol,
                side=r.side,  # type: ignore[arg-type]
                type=r.type,  # type: ignore[arg-type]
                qty=Decimal(r.qty),
                filled_qty=Decimal(r.filled_qty),
            )
            for r in rows
        ]

    async def executions_since(self, watermark: Watermark | None) -> ExecutionPage:
        seq = int(watermark) if watermark else 0
        async with self.sessionmaker() as s:
            rows = await PaperBroker(s, self.account_id).executions_since(seq)
        execs = [
            VenueExecution(
                execution_id=r.execution_id,
                client_order_id=r.client_order_id,
                broker_order_id=None,
                symbol=r.symbol,
                side=r.side,  # type: ignore[arg-type]
                qty=Decimal(r.qty),
                price=Decimal(r.price),
                fees=Decimal(r.fees),
                ts=r.ts,
                fee_currency=self.currency,
                raw={"seq": r.seq, "execution_id": r.execution_id},
            )
            for r in rows
        ]
        last = max((r.seq for r in rows), default=None)
        return ExecutionPage(execs, str(last) if last is not None else watermark)

    async def positions(self) -> Mapping[str, Decimal]:
        async with self.sessionmaker() as s:
            return await PaperBroker(s, self.account_id).positions()

    async def balances(self) -> VenueBalances:
        async with self.sessionmaker() as s:
            bal = await s.get(PaperBalanceRow, self.account_id)
            if bal is None:
                raise BrokerUnavailable(f"paper account {self.account_id} has no paper book.")
            positions = {k: Decimal(v) for k, v in bal.positions.items() if Decimal(v) != 0}
            equity = Decimal(bal.cash)
            for sym, qty in positions.items():
                price = await s.scalar(
                    select(PaperExecutionRow.price)
                    .where(
                        PaperExecutionRow.account_id == self.account_id,
                        PaperExecutionRow.symbol == sym,
                    )
                    .order_by(PaperExecutionRow.seq.desc())
                    .limit(1)
                )
                equity += qty * Decimal(price or 0)
            return VenueBalances(
                currency=self.currency, cash=Decimal(bal.cash), equity=equity, positions=positions
            )
