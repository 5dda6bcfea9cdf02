"""Reconciliation: the venue's positions, open orders and executions against ours, classified by
RISK's pure `vt_trading.ledger.reconcile.classify`. It never re-sends anything: missing fills of
our orders are imported, everything ambiguous or unexplained halts the account and opens an
exception for a person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.trading import ReconcileReport, RiskLimits
from vt_db.trading_models import (
    BrokerAccountRow,
    ExceptionRow,
    FillRow,
    OrderRow,
    VenueCursorRow,
)
from vt_trading import audit
from vt_trading.brokers.base import BrokerError, ExecutionPage, VenueExecution, VenueOpenOrder
from vt_trading.brokers.registry import broker_for, kind_of
from vt_trading.context import TradingContext
from vt_trading.execution import repository as exec_repo
from vt_trading.execution.service import ingest_execution
from vt_trading.trading import equity as equity_mod
from vt_trading.trading import risk as risk_mod

HALTING = {
    "missing_fill_unattributed",
    "orphan_order",
    "unknown_order",
    "position_break",
    "ambiguous",
}


async def _read_venue(
    ctx: TradingContext, account: BrokerAccountRow, watermark: str | None
) -> tuple[Mapping[str, Decimal], Sequence[VenueOpenOrder], ExecutionPage, dict[str, Decimal]]:
    """The venue's picture, read through the account's broker (never inside our transaction):
    positions, working orders, executions since the stored watermark, and last prices of the
    positions where the venue quotes them (for spot opening holdings)."""
    from vt_trading.runner.venue import prepare

    broker = broker_for(ctx, account)
    try:
        await broker.connect()
        await prepare(ctx, account.id, broker)  # the venue reports under our traded symbols
        positions = await broker.positions()
        orders = await broker.open_orders()
        page = await broker.executions_since(watermark)
        prices: dict[str, Decimal] = {}
        last_price = getattr(broker, "last_price", None)
        if last_price is not None:
            for sym in positions:
                prices[sym] = await last_price(sym)
        return positions, orders, page, prices
    finally:
        await broker.close()


async def reconcile_account(
    ctx: TradingContext, account_id: uuid.UUID, *, actor: str, reason: str
) -> ReconcileReport:
    """Compare the venue with our books from the stored execution watermark on, import what is
    ours, halt on the rest, then advance the watermark (same transaction as the imports).

    Spot exchanges: the first reconciliation of an account records the coins it already holds
    as its unattributed bucket (the user's own holdings, never traded against) and starts the
    watermark at the venue's present, instead of calling the user's earlier history a break."""
    from vt_trading.ledger import reconcile as rec

    now = datetime.now(UTC)
    async with ctx.sessionmaker() as session:
        account = await session.get(BrokerAccountRow, account_id)
        assert account is not None
        cursor = await session.get(VenueCursorRow, account_id)
        watermark = cursor.watermark if cursor is not None else None
        first = cursor is None
    try:
        venue_positions, venue_orders, page, prices = await _read_venue(ctx, account, watermark)
    except BrokerError as e:
        # fail closed: a venue we cannot read halts the account (reducing risk stays allowed)
        async with ctx.sessionmaker() as session, session.begin():
            await risk_mod.halt(
                session, account_id, f"reconciliation could not read the venue: {e}"
            )
            session.add(
                ExceptionRow(
                    account_id=account_id,
                    deployment_id=None,
                    kind="venue_unreadable",
                    severity="critical",
                    detail=f"reconciliation could not read {account.venue}: {e}",
                    data={},
                )
            )
        return ReconcileReport(
            account_id=str(account_id), at=now, items=[], halted=True, exceptions_opened=1
        )
    from vt_trading.runner.venue import account_maps, import_terms

    maps = await account_maps(ctx, account_id)
    venue = account.venue
    spot_opening = first and kind_of(venue) == "ccxt"
    async with ctx.sessionmaker() as session, session.begin():
        account = await session.get(BrokerAccountRow, account_id)
        assert account is not None
        limits = RiskLimits.model_validate(account.risk_limits)
        venue_execs = list(page.executions)
        page_ids = [e.execution_id for e in venue_execs]
        our_fills = (
            await session.scalars(
                select(FillRow).where(
                    FillRow.account_id == account_id,
                    FillRow.venue == venue,
                    FillRow.execution_id.in_(page_ids),
                )
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
        if spot_opening:
            venue_execs = [e for e in venue_execs if e.client_order_id in our_orders]
            await _open_spot_holdings(
                session, account_id, venue_positions, ours_pos, venue_execs, our_fills, prices
            )
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
                    # an order the venue shows without our id is not ours: unknown_order
                    client_order_id=o.client_order_id or f"venue:{o.broker_order_id}",
                    symbol=o.symbol,
                    side=o.side,
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
                    # imported, never re-sent; an unexplained one lands unattributed; booked
                    # with the contract's multiplier (the map's, else the venue's)
                    multiplier, inverse = import_terms(maps, ex)
                    await ingest_execution(
                        session,
                        account_id,
                        venue=venue,
                        execution_id=ex.execution_id,
                        client_order_id=ex.client_order_id or f"ext-{ex.execution_id}"[:36],
                        ts=ex.ts,
                        symbol=ex.symbol,
                        side=ex.side,
                        qty=Decimal(ex.qty),
                        price=Decimal(ex.price),
                        fees=Decimal(ex.fees),
                        multiplier=multiplier,
                        inverse=inverse,
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
        if first or cursor_changed(watermark, page.watermark):  # first: the cursor starts
            await _store_watermark(session, account_id, page.watermark)
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
                "watermark": {"from": watermark, "to": page.watermark},
                "spot_opening": spot_opening,
            },
        )
    return ReconcileReport(
        account_id=str(account_id), at=now, items=out, halted=halted, exceptions_opened=opened
    )


def cursor_changed(old: str | None, new: str | None) -> bool:
    return new is not None and new != old


async def _store_watermark(
    session: AsyncSession, account_id: uuid.UUID, watermark: str | None
) -> None:
    await session.execute(
        insert(VenueCursorRow)
        .values(account_id=account_id, watermark=watermark)
        .on_conflict_do_update(
            index_elements=["account_id"],
            set_={"watermark": watermark, "updated_at": datetime.now(UTC)},
        )
    )


async def _open_spot_holdings(
    session: AsyncSession,
    account_id: uuid.UUID,
    venue_positions: Mapping[str, Decimal],
    ours_pos: dict[str, Decimal],
    our_execs: Sequence[VenueExecution],
    our_fills: Sequence[FillRow],
    prices: Mapping[str, Decimal],
) -> None:
    """Coins the account held before we traded it: into the unattributed bucket (at the
    present price as cost, so they show no invented P&L), so the position check compares like
    with like. Executions of our own orders not yet imported are left for the import below."""
    imported = {f.execution_id for f in our_fills}
    pending: dict[str, Decimal] = {}
    for e in our_execs:
        if e.execution_id not in imported:
            signed = e.qty if e.side == "buy" else -e.qty
            pending[e.symbol] = pending.get(e.symbol, Decimal(0)) + signed
    for sym, qty in sorted(venue_positions.items()):
        held = qty - ours_pos.get(sym, Decimal(0)) - pending.get(sym, Decimal(0))
        if held == 0:
            continue
        row = await exec_repo.position(session, account_id, None, sym)
        row.qty = Decimal(row.qty) + held
        if Decimal(row.avg_price) == 0:
            row.avg_price = prices.get(sym, Decimal(0))
        ours_pos[sym] = ours_pos.get(sym, Decimal(0)) + held
        await audit.append(
            session,
            account_id,
            actor="reconcile",
            kind="reconcile.opening_holding",
            record={"symbol": sym, "qty": str(held), "price": str(prices.get(sym, ""))},
        )
