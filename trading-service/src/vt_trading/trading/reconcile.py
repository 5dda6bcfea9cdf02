"""Reconciliation: the venue's positions, open orders and executions against ours, classified by
RISK's pure `vt_trading.ledger.reconcile.classify`. It never re-sends anything: missing fills of
our orders are imported, everything ambiguous or unexplained halts the account and opens an
exception for a person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from vt_contracts.trading import ReconcileReport, RiskLimits
from vt_db.trading_models import BrokerAccountRow, ExceptionRow, FillRow, OrderRow
from vt_trading import audit
from vt_trading.context import TradingContext
from vt_trading.execution.service import ingest_execution
from vt_trading.paper.broker import VENUE, PaperBroker
from vt_trading.trading import equity as equity_mod
from vt_trading.trading import risk as risk_mod

HALTING = {
    "missing_fill_unattributed",
    "orphan_order",
    "unknown_order",
    "position_break",
    "ambiguous",
}


async def reconcile_account(
    ctx: TradingContext, account_id: uuid.UUID, *, actor: str, reason: str
) -> ReconcileReport:
    from vt_trading.ledger import reconcile as rec

    now = datetime.now(UTC)
    async with ctx.sessionmaker() as session, session.begin():
        account = await session.get(BrokerAccountRow, account_id)
        assert account is not None
        limits = RiskLimits.model_validate(account.risk_limits)
        broker = PaperBroker(session, account_id)
        venue_positions = await broker.positions()
        venue_orders = await broker.open_orders()
        venue_execs = await broker.executions_since(0)
        our_fills = (
            await session.scalars(
                select(FillRow).where(FillRow.account_id == account_id, FillRow.venue == VENUE)
            )
        ).all()
        our_orders = {
            o.client_order_id: o
            for o in (
                await session.scalars(select(OrderRow).where(OrderRow.account_id == account_id))
            ).all()
        }
        ours_pos: dict[str, Decimal] = {}
        for p in await equity_mod.positions_of(session, account_id):
            ours_pos[p.symbol] = ours_pos.get(p.symbol, Decimal(0)) + Decimal(p.qty)
        ours = rec.ReconcileInput(
            positions={k: v for k, v in ours_pos.items() if v != 0},
            open_orders=tuple(
                rec.OpenOrderView(
                    client_order_id=c,
                    symbol=o.symbol,
                    side=o.side,  # type: ignore[arg-type]
                    qty_remaining=Decimal(o.qty) - Decimal(o.filled_qty),
                )
                for c, o in our_orders.items()
                if o.state in ("accepted", "partially_filled", "cancel_pending") and not o.dry_run
            ),
            executions=tuple(
                rec.ExecutionView(
                    execution_id=f.execution_id,
                    client_order_id=f.client_order_id,
                    symbol=f.symbol,
                    side=f.side,  # type: ignore[arg-type]
                    qty=Decimal(f.qty),
                    price=Decimal(f.price),
                    ts=f.ts,
                )
                for f in our_fills
            ),
            known_orders=frozenset(c for c, o in our_orders.items() if not o.dry_run),
            pending=frozenset(
                c for c, o in our_orders.items() if o.state in ("submitting", "unknown")
            ),
        )
        theirs = rec.ReconcileInput(
            positions=venue_positions,
            open_orders=tuple(
                rec.OpenOrderView(
                    client_order_id=o.client_order_id,
                    symbol=o.symbol,
                    side=o.side,  # type: ignore[arg-type]
                    qty_remaining=Decimal(o.qty) - Decimal(o.filled_qty),
                )
                for o in venue_orders
            ),
            executions=tuple(
                rec.ExecutionView(
                    execution_id=e.execution_id,
                    client_order_id=e.client_order_id,
                    symbol=e.symbol,
                    side=e.side,  # type: ignore[arg-type]
                    qty=Decimal(e.qty),
                    price=Decimal(e.price),
                    ts=e.ts,
                )
                for e in venue_execs
            ),
        )
        items = rec.classify(ours, theirs, limits.reconcile_tolerance)
        by_exec = {e.execution_id: e for e in venue_execs}
        opened = 0
        halted = rec.halts(items)
        for item in items:
            kind = item.kind
            order = our_orders.get(item.client_order_id or "")
            if kind in ("missing_fill_ours", "missing_fill_unattributed"):
                ex = by_exec.get(item.execution_id or "")
                if ex is not None:
                    # imported, never re-sent; an unexplained one lands unattributed
                    await ingest_execution(
                        session,
                        account_id,
                        venue=VENUE,
                        execution_id=ex.execution_id,
                        client_order_id=ex.client_order_id,
                        ts=ex.ts,
                        symbol=ex.symbol,
                        side=ex.side,
                        qty=Decimal(ex.qty),
                        price=Decimal(ex.price),
                        fees=Decimal(ex.fees),
                    )
                if order is not None and order.state in ("submitting", "unknown"):
                    order.state = "filled" if order.filled_qty >= order.qty else "partially_filled"
            elif (
                kind == "matched" and order is not None and order.state in ("submitting", "unknown")
            ):
                order.state = "accepted"  # the broker has it: the ambiguity is resolved
            elif kind == "orphan_order" and order is not None:
                order.state = "cancelled"
            if kind in rec.HALTING or kind == "orphan_order":
                opened += 1
                session.add(
                    ExceptionRow(
                        account_id=account_id,
                        deployment_id=order.deployment_id if order is not None else None,
                        kind=kind,
                        severity="critical" if kind in rec.HALTING else "warning",
                        detail=item.detail,
                        data={
                            "symbol": item.symbol,
                            "client_order_id": item.client_order_id,
                            "execution_id": item.execution_id,
                            "qty": str(item.qty) if item.qty is not None else None,
                        },
                    )
                )
        out = list(items)
        if halted:
            await risk_mod.halt(session, account_id, "reconciliation found breaks")
        await audit.append(
            session,
            account_id,
            actor=actor,
            kind="reconcile",
            record={
                "reason": reason,
                "items": [i.model_dump(mode="json") for i in out if i.kind != "matched"],
                "matched": sum(1 for i in out if i.kind == "matched"),
                "halted": halted,
            },
        )
    return ReconcileReport(
        account_id=str(account_id), at=now, items=out, halted=halted, exceptions_opened=opened
    )
