"""The paper venue: a simulated exchange whose book lives in PostgreSQL (paper_orders,
paper_executions, paper_balances), filling with ENGINE's pure matching (the backtest's own
cost, slippage, gap and intrabar rules). A restart loses nothing.

The venue keeps one clock per scope (a deployment): its resting orders are matched only against
the bars of that scope, so two replays of different periods on one account never cross."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import PaperBalanceRow, PaperExecutionRow, PaperOrderRow

if TYPE_CHECKING:
    from vt_trading.paper.matching import Bar, CostModel, Execution, PaperOrder

VENUE = "paper"


@dataclass(frozen=True)
class PlaceResult:
    accepted: bool
    broker_order_id: str
    duplicate: bool
    detail: str = ""


def costs_data(costs: CostModel) -> dict[str, Any]:
    return {
        "commission": costs.commission,
        "commission_fixed": costs.commission_fixed,
        "slippage": costs.slippage,
    }


def _costs(data: dict[str, Any]) -> CostModel:
    from vt_trading.paper.matching import CostModel

    return CostModel(
        commission=float(data["commission"]),
        commission_fixed=float(data["commission_fixed"]),
        slippage=float(data["slippage"]),
    )


def _as_order(row: PaperOrderRow) -> PaperOrder:
    from vt_trading.paper.matching import PaperOrder

    return PaperOrder(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,  # type: ignore[arg-type]
        type=row.type,  # type: ignore[arg-type]
        qty=Decimal(row.qty) - Decimal(row.filled_qty),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        oco_group=row.oco_group,
    )


class PaperBroker:
    """One account's paper venue, used inside the caller's transaction."""

    def __init__(self, session: AsyncSession, account_id: uuid.UUID) -> None:
        self.session = session
        self.account_id = account_id

    async def place(self, scope: str, order: PaperOrder, costs: CostModel) -> PlaceResult:
        """Accept an order; a client order id seen before is answered with the first order
        (idempotent: a retried submission never makes a second order)."""
        stmt = (
            insert(PaperOrderRow)
            .values(
                id=uuid.uuid4(),
                account_id=self.account_id,
                scope=scope,
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                side=order.side,
                type=order.type,
                qty=order.qty,
                filled_qty=Decimal(0),
                limit_price=order.limit_price,
                stop_price=order.stop_price,
                oco_group=order.oco_group,
                costs=costs_data(costs),
                status="working",
            )
            .on_conflict_do_nothing(index_elements=["account_id", "client_order_id"])
            .returning(PaperOrderRow.id)
        )
        new_id = await self.session.scalar(stmt)
        if new_id is None:
            existing = await self._by_coid(order.client_order_id)
            return PlaceResult(True, str(existing.id) if existing else "", duplicate=True)
        return PlaceResult(True, str(new_id), duplicate=False)

    async def cancel(self, client_order_id: str) -> bool:
        row = await self._by_coid(client_order_id)
        if row is None or row.status != "working":
            return False
        row.status = "cancelled"
        await self.session.flush()
        return True

    async def open_orders(self, scope: str | None = None) -> list[PaperOrderRow]:
        q = select(PaperOrderRow).where(
            PaperOrderRow.account_id == self.account_id, PaperOrderRow.status == "working"
        )
        if scope is not None:
            q = q.where(PaperOrderRow.scope == scope)
        return list((await self.session.scalars(q.order_by(PaperOrderRow.created_at))).all())

    async def order(self, client_order_id: str) -> PaperOrderRow | None:
        return await self._by_coid(client_order_id)

    async def executions_since(self, seq: int) -> list[PaperExecutionRow]:
        return list(
            (
                await self.session.scalars(
                    select(PaperExecutionRow)
                    .where(
                        PaperExecutionRow.account_id == self.account_id,
                        PaperExecutionRow.seq > seq,
                    )
                    .order_by(PaperExecutionRow.seq)
                )
            ).all()
        )

    async def positions(self) -> dict[str, Decimal]:
        bal = await self.session.get(PaperBalanceRow, self.account_id)
        if bal is None:
            return {}
        return {k: Decimal(v) for k, v in bal.positions.items() if Decimal(v) != 0}

    # --- the venue's clock -------------------------------------------------------------------

    async def on_open(self, scope: str, symbol: str, ts: pd.Timestamp, row: Any) -> list[Execution]:
        """The open print of a bar: resting orders gapped through fill at the open, then
        market orders fill at the open (ADR 0005 steps a and b)."""
        from vt_trading.paper.matching import match_open_gaps

        bar = _bar(ts, row)
        done: list[Execution] = []
        resting = [
            o for o in await self.open_orders(scope) if o.symbol == symbol and o.type != "market"
        ]
        if resting:
            done += await self._apply(
                resting,
                match_open_gaps([_as_order(o) for o in resting], bar, _costs(resting[0].costs)),
            )
        return done

    async def fill_markets(
        self, scope: str, symbol: str, ts: pd.Timestamp, row: Any
    ) -> list[Execution]:
        from vt_trading.paper.matching import fill_market

        bar = _bar(ts, row)
        markets = [
            o for o in await self.open_orders(scope) if o.symbol == symbol and o.type == "market"
        ]
        if not markets:
            return []
        return await self._apply(
            markets, fill_market([_as_order(o) for o in markets], bar, _costs(markets[0].costs))
        )

    async def on_range(
        self, scope: str, symbol: str, ts: pd.Timestamp, row: Any
    ) -> list[Execution]:
        """The bar's range: stops first, then limits; a filled stop cancels its OCO siblings."""
        from vt_trading.paper.matching import match_range

        bar = _bar(ts, row)
        resting = [
            o for o in await self.open_orders(scope) if o.symbol == symbol and o.type != "market"
        ]
        if not resting:
            return []
        return await self._apply(
            resting, match_range([_as_order(o) for o in resting], bar, _costs(resting[0].costs))
        )

    async def _apply(self, rows: list[PaperOrderRow], execs: list[Execution]) -> list[Execution]:
        if not execs:
            return []
        by_coid = {r.client_order_id: r for r in rows}
        bal = await self.session.get(PaperBalanceRow, self.account_id, with_for_update=True)
        if bal is None:
            raise RuntimeError(f"paper account {self.account_id} has no balance row")
        positions = dict(bal.positions)
        cash = Decimal(bal.cash)
        seq = int(bal.exec_seq)
        for ex in execs:
            order = by_coid[ex.client_order_id]
            seq += 1
            self.session.add(
                PaperExecutionRow(
                    account_id=self.account_id,
                    seq=seq,
                    client_order_id=ex.client_order_id,
                    execution_id=ex.execution_id,
                    ts=ex.ts.to_pydatetime() if isinstance(ex.ts, pd.Timestamp) else ex.ts,
                    symbol=ex.symbol,
                    side=ex.side,
                    qty=ex.qty,
                    price=ex.price,
                    fees=ex.fees,
                )
            )
            signed = ex.qty if ex.side == "buy" else -ex.qty
            positions[ex.symbol] = str(Decimal(positions.get(ex.symbol, "0")) + signed)
            cash -= signed * ex.price + ex.fees
            order.filled_qty = Decimal(order.filled_qty) + ex.qty
            if order.filled_qty >= order.qty:
                order.status = "filled"
        # a filled stop cancels its OCO siblings (ENGINE's rule; a take-profit does not)
        from vt_trading.paper.matching import cancelled_siblings

        for coid in cancelled_siblings([_as_order(r) for r in rows], execs):
            if by_coid[coid].status == "working":
                by_coid[coid].status = "cancelled"
        bal.positions = positions
        bal.cash = cash
        bal.exec_seq = seq
        await self.session.flush()
        return execs

    async def _by_coid(self, coid: str) -> PaperOrderRow | None:
        row: PaperOrderRow | None = await self.session.scalar(
            select(PaperOrderRow).where(
                PaperOrderRow.account_id == self.account_id,
                PaperOrderRow.client_order_id == coid,
            )
        )
        return row


def _bar(ts: pd.Timestamp, row: Any) -> Bar:
    from vt_trading.paper.matching import Bar

    return Bar(
        ts=ts,
        open=float(row["open"]),
        high=float(row["high"]),
        low=float(row["low"]),
        close=float(row["close"]),
        volume=float(row["volume"]),
    )
