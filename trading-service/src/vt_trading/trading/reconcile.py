"""Reconciliation: the venue's positions, open orders and executions against ours, classified by
RISK's pure `vt_trading.ledger.reconcile.classify`. It never re-sends anything: missing fills of
our orders are imported, everything ambiguous or unexplained halts the account and opens an
exception for a person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from vt_contracts.trading import ReconcileItem, ReconcileReport, RiskLimits
from vt_db.trading_models import BrokerAccountRow, ExceptionRow, FillRow, OrderRow
from vt_trading import audit
from vt_trading.context import TradingContext
from vt_trading.execution import repository as exec_repo
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
        known = set(
            (
                await session.scalars(
                    select(FillRow.execution_id).where(
                        FillRow.account_id == account_id, FillRow.venue == VENUE
                    )
                )
            ).all()
        )
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
            open_orders={
                c: _order_view(o)
                for c, o in our_orders.items()
                if o.state in exec_repo.WORKING and not o.dry_run
            },
            executions={e: None for e in known},
        )
        theirs = rec.ReconcileInput(
            positions=venue_positions,
            open_orders={o.client_order_id: _venue_view(o) for o in venue_orders},
            executions={e.execution_id: _exec_view(e) for e in venue_execs},
        )
        items = rec.classify(ours, theirs, limits.reconcile_tolerance)
        opened = 0
        halted = False
        out: list[ReconcileItem] = []
        for item in items:
            kind = item.kind
            out.append(ReconcileItem(kind=kind, symbol=item.symbol, detail=item.detail))
            if kind == "missing_fill_ours":
                ex = next((e for e in venue_execs if e.execution_id == item.execution_id), None)
                if ex is not None:
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
                continue
            if kind == "unknown_order" and item.client_order_id in our_orders:
                # ours, not at the venue: a submission that never arrived is rejected, never re-sent
                o = our_orders[item.client_order_id]
                if o.state in ("unknown", "submitting"):
                    o.state = "rejected"
            if kind in HALTING:
                halted = True
                opened += 1
                session.add(
                    ExceptionRow(
                        account_id=account_id,
                        deployment_id=None,
                        kind=kind,
                        severity="critical" if kind != "orphan_order" else "warning",
                        detail=item.detail,
                        data={"symbol": item.symbol, "client_order_id": item.client_order_id},
                    )
                )
        if halted:
            await risk_mod.halt(session, account_id, "reconciliation found breaks")
        await audit.append(
            session,
            account_id,
            actor=actor,
            kind="reconcile",
            record={
                "reason": reason,
                "items": [i.model_dump(mode="json") for i in out],
                "halted": halted,
            },
        )
    return ReconcileReport(
        account_id=str(account_id), at=now, items=out, halted=halted, exceptions_opened=opened
    )


def _order_view(o: OrderRow) -> Any:
    return {
        "symbol": o.symbol,
        "side": o.side,
        "qty": Decimal(o.qty) - Decimal(o.filled_qty),
        "state": o.state,
    }


def _venue_view(o: Any) -> Any:
    return {
        "symbol": o.symbol,
        "side": o.side,
        "qty": Decimal(o.qty) - Decimal(o.filled_qty),
        "state": o.status,
    }


def _exec_view(e: Any) -> Any:
    return {
        "client_order_id": e.client_order_id,
        "symbol": e.symbol,
        "side": e.side,
        "qty": Decimal(e.qty),
        "price": Decimal(e.price),
    }
