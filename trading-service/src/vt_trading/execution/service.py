"""Fills into orders and positions: idempotent on (venue, execution_id), overfills flagged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.trading import Fill, Order
from vt_db.trading_models import ExceptionRow, FillRow, OrderRow, PositionRow
from vt_trading import audit
from vt_trading.execution import repository as repo
from vt_trading.ledger.positions import LedgerFill, PositionState, apply_fill, split_overfill


@dataclass(frozen=True)
class Ingested:
    fill_id: uuid.UUID
    order: OrderRow | None
    deployment_id: uuid.UUID | None
    position: PositionRow
    realized: Decimal


def order_contract(row: OrderRow) -> Order:
    return Order(
        id=str(row.id),
        deployment_id=str(row.deployment_id) if row.deployment_id else None,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,  # type: ignore[arg-type]
        type=row.type,  # type: ignore[arg-type]
        qty=row.qty,
        filled_qty=row.filled_qty,
        avg_fill_price=row.avg_fill_price,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        state=row.state,  # type: ignore[arg-type]
        reduce_only=row.reduce_only,
        dry_run=row.dry_run,
        reason=row.reason,
        risk_decision=row.risk_decision,  # type: ignore[arg-type]
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def fill_contract(row: FillRow) -> Fill:
    return Fill(
        id=str(row.id),
        ts=row.ts,
        symbol=row.symbol,
        side=row.side,  # type: ignore[arg-type]
        qty=row.qty,
        price=row.price,
        fees=row.fees,
        order_id=str(row.order_id) if row.order_id else "",
        client_order_id=row.client_order_id,
        execution_id=row.execution_id,
    )


async def ingest_execution(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    venue: str,
    execution_id: str,
    client_order_id: str,
    ts: datetime,
    symbol: str,
    side: str,
    qty: Decimal,
    price: Decimal,
    fees: Decimal,
    multiplier: Decimal = Decimal(1),
    inverse: bool = False,
) -> Ingested | None:
    """Record one broker execution: None when it was recorded before (duplicate: no-op).

    An execution no order of ours explains lands in the unattributed bucket; the part of a fill
    beyond its order's quantity is an overfill exception, never a bigger position."""
    order = await repo.order_by_coid(session, account_id, client_order_id, lock=True)
    deployment_id = order.deployment_id if order is not None else None
    fill_id = await repo.insert_fill(
        session,
        {
            "account_id": account_id,
            "deployment_id": deployment_id,
            "order_id": order.id if order is not None else None,
            "client_order_id": client_order_id,
            "venue": venue,
            "execution_id": execution_id,
            "ts": ts,
            "symbol": symbol,
            "side": side,
            "qty": qty,
            "price": price,
            "fees": fees,
        },
    )
    if fill_id is None:
        return None
    take = qty
    if order is not None:
        take, excess = split_overfill(Decimal(order.qty), Decimal(order.filled_qty), qty)
        if excess > 0:
            session.add(
                ExceptionRow(
                    account_id=account_id,
                    deployment_id=deployment_id,
                    kind="overfill",
                    severity="critical",
                    detail=f"execution {execution_id} fills {excess} more than order "
                    f"{client_order_id} asked for; the excess was not added to the position",
                    data={"execution_id": execution_id, "excess": str(excess)},
                )
            )
        if take > 0:
            prev = Decimal(order.filled_qty)
            new_filled = prev + take
            avg = Decimal(order.avg_fill_price or 0)
            order.avg_fill_price = (avg * prev + price * take) / new_filled
            order.filled_qty = new_filled
            order.state = "filled" if new_filled >= order.qty else "partially_filled"
    pos = await repo.position(
        session, account_id, deployment_id, symbol, multiplier=multiplier, inverse=inverse
    )
    realized = Decimal(0)
    if take > 0:
        # fees are charged in full even when part of the fill is an overfill
        state, realized = apply_fill(
            PositionState(
                qty=Decimal(pos.qty),
                avg_price=Decimal(pos.avg_price),
                realized_pnl=Decimal(pos.realized_pnl),
                fees=Decimal(pos.fees),
            ),
            LedgerFill(execution_id, side, take, price, fees),  # type: ignore[arg-type]
            Decimal(pos.multiplier),
            pos.inverse,
        )
        pos.qty = state.qty
        pos.avg_price = state.avg_price
        pos.realized_pnl = state.realized_pnl
        pos.fees = state.fees
        pos.last_price = price
    await audit.append(
        session,
        account_id,
        actor="broker",
        kind="broker.execution",
        record={
            "venue": venue,
            "execution_id": execution_id,
            "client_order_id": client_order_id,
            "ts": ts.isoformat(),
            "symbol": symbol,
            "side": side,
            "qty": str(qty),
            "price": str(price),
            "fees": str(fees),
            "attributed": order is not None,
        },
    )
    await session.flush()
    return Ingested(fill_id, order, deployment_id, pos, realized)


def order_event(row: OrderRow) -> dict[str, Any]:
    return order_contract(row).model_dump(mode="json")
