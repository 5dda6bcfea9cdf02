"""The bar step's door to a non-paper venue (an exchange, IBKR): the account's broker from the
registry, connected once per runner; submission with the venue's outcome mapped onto our
order states; fills imported by watermark.

The paper venue keeps its own path in `step.py` (its fills come from the bar clock inside the
step's transaction, which is what makes paper == backtest); every other venue fills on its own
and is read here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects.postgresql import insert

from vt_contracts.trading import InstrumentMapping
from vt_db.trading_models import BrokerAccountRow, ExceptionRow, VenueCursorRow
from vt_trading import audit
from vt_trading.brokers.base import (
    Broker,
    BrokerError,
    BrokerUnavailable,
    InstrumentMismatch,
    OrderRefused,
    SubmissionUnknown,
    VenueExecution,
    VenueInstrument,
    VenueOrder,
)
from vt_trading.brokers.registry import broker_for
from vt_trading.execution import repository as exec_repo
from vt_trading.execution.service import ingest_execution, order_event

if TYPE_CHECKING:
    from vt_trading.context import TradingContext

log = logging.getLogger(__name__)

UNRESOLVED = ("submitting", "unknown")
"""Order states whose fills only reconciliation imports (the submission's outcome is unknown)."""


class VenueBrokers:
    """Connected brokers per account, kept for the runner's life (markets and the clock offset
    are loaded once); a broker that failed is dropped and reconnected on next use."""

    def __init__(self, ctx: TradingContext) -> None:
        self.ctx = ctx
        self._brokers: dict[uuid.UUID, Broker] = {}

    async def get(self, account: BrokerAccountRow) -> Broker:
        b = self._brokers.get(account.id)
        if b is None:
            b = broker_for(self.ctx, account)
            await b.connect()
            try:
                await prepare(self.ctx, account.id, b)
            except BaseException:
                await b.close()
                raise
            self._brokers[account.id] = b
        return b

    async def drop(self, account_id: uuid.UUID) -> None:
        b = self._brokers.pop(account_id, None)
        if b is not None:
            await b.close()

    async def aclose(self) -> None:
        for aid in list(self._brokers):
            await self.drop(aid)


async def account_maps(ctx: TradingContext, account_id: uuid.UUID) -> dict[str, InstrumentMapping]:
    """traded symbol -> its instrument mapping over every deployment of the account (the
    multiplier a fill of that symbol carries wherever it is imported: the bar step, the kill
    switch, reconciliation)."""
    from sqlalchemy import select

    from vt_db.trading_models import DeploymentRow

    out: dict[str, InstrumentMapping] = {}
    async with ctx.sessionmaker() as s:
        rows = (
            await s.scalars(
                select(DeploymentRow)
                .where(DeploymentRow.account_id == account_id)
                .order_by(DeploymentRow.created_at)
            )
        ).all()
    for dep in rows:
        for raw in dep.instrument_map:
            m = InstrumentMapping.model_validate(raw)
            out.setdefault(m.traded_symbol, m)
    return out


async def prepare(ctx: TradingContext, account_id: uuid.UUID, broker: Broker) -> None:
    """Let a freshly connected broker learn the account's traded symbols (IBKR resolves their
    contracts), so what it reports comes back under those symbols."""
    fn = getattr(broker, "prepare", None)
    if fn is not None:
        await fn(sorted(await account_maps(ctx, account_id)))


async def venue_terms(
    ctx: TradingContext,
    account: BrokerAccountRow,
    deployment_id: uuid.UUID,
    broker: Broker,
    lots: Mapping[str, InstrumentMapping],
) -> dict[str, InstrumentMapping]:
    """The instrument terms the planner and the risk gate size with: the map's, with the
    venue's lot step where it states one (`venue_lots`). A venue that states contract terms
    (IBKR: multiplier and size increment from the contract details) is checked against the
    map: a multiplier that differs would size every order and every P&L wrong by that factor,
    so it raises `InstrumentMismatch` (nothing is sent) and opens an exception. A venue that
    cannot answer stops the step (`StepHalted`) rather than sizing with unchecked terms."""
    out = venue_lots(broker, lots)
    fn = getattr(broker, "instrument", None)
    if fn is None:
        return out
    for sym, m in lots.items():
        try:
            venue: VenueInstrument = await fn(sym)
        except OrderRefused:
            continue  # the order itself is refused with the reason
        except BrokerUnavailable as e:
            from vt_trading.runner.step import StepHalted

            # unchecked terms are not guessed: the bar runs again when the venue answers
            raise StepHalted(f"cannot check {sym}'s contract terms at {account.venue}: {e}") from e
        if venue.multiplier != m.multiplier:
            detail = (
                f"instrument map says {sym} has multiplier {m.multiplier}, {account.venue} "
                f"says {venue.multiplier}: nothing was sent; fix the deployment's instrument "
                "map (e.g. MBT 0.1, MCL 100) and deploy again"
            )
            async with ctx.sessionmaker() as s, s.begin():
                s.add(
                    ExceptionRow(
                        account_id=account.id,
                        deployment_id=deployment_id,
                        kind="instrument_mismatch",
                        severity="critical",
                        detail=detail,
                        data={
                            "symbol": sym,
                            "map": str(m.multiplier),
                            "venue": str(venue.multiplier),
                        },
                    )
                )
            raise InstrumentMismatch(detail)
        if venue.lot > m.lot_size:
            out[sym] = out[sym].model_copy(update={"lot_size": venue.lot})
    return out


def import_terms(maps: Mapping[str, InstrumentMapping], ex: VenueExecution) -> tuple[Decimal, bool]:
    """(multiplier, inverse) an execution is booked with: the instrument map's for a mapped
    symbol, else the venue's own multiplier (an unattributed future), else 1."""
    m = maps.get(ex.symbol)
    if m is not None:
        return m.multiplier, m.inverse
    return (ex.multiplier or Decimal(1)), False


def venue_lots(
    broker: Broker, lots: Mapping[str, InstrumentMapping]
) -> dict[str, InstrumentMapping]:
    """Lot steps from the venue where it knows them (an exchange's LOT_SIZE), so the planner
    never plans a quantity the venue would refuse (a default lot of 1 would make 0.02 BTC zero)."""
    rules = getattr(broker, "rules", None)
    out = dict(lots)
    if rules is None:
        return out
    for sym, m in lots.items():
        try:
            step = rules(sym).amount_step
        except BrokerError:
            continue
        if step is not None and step > 0:
            out[sym] = m.model_copy(update={"lot_size": step})
    return out


async def send(
    ctx: TradingContext,
    broker: Broker,
    account_id: uuid.UUID,
    order: VenueOrder,
) -> tuple[str, str | None, dict[str, Any]]:
    """Send one order; (our new state, broker order id, audit record). Refused -> rejected
    (nothing works at the venue); unknown outcome -> unknown (reconciliation resolves it by
    client order id, it is never re-sent); venue unreachable before sending -> rejected."""
    try:
        res = await broker.place(order)
    except OrderRefused as e:
        return "rejected", None, {"refused": str(e), "code": e.code}
    except SubmissionUnknown as e:
        async with ctx.sessionmaker() as s, s.begin():
            s.add(
                ExceptionRow(
                    account_id=account_id,
                    deployment_id=None,
                    kind="ambiguous",
                    severity="critical",
                    detail=f"order {order.client_order_id}: {e}",
                    data={"client_order_id": order.client_order_id},
                )
            )
        return "unknown", None, {"unknown": str(e)}
    except BrokerUnavailable as e:
        return "rejected", None, {"unavailable": str(e)}
    return (
        "accepted",
        res.broker_order_id,
        {
            "accepted": res.accepted,
            "broker_order_id": res.broker_order_id,
            "duplicate": res.duplicate,
            "detail": res.detail,
        },
    )


def conform(broker: Broker, order: VenueOrder) -> VenueOrder:
    fn = getattr(broker, "conform", None)
    if fn is None:
        return order
    try:
        out: VenueOrder = fn(order)
    except BrokerError:
        return order  # place() refuses it with the reason
    return out


async def import_fills(
    ctx: TradingContext,
    broker: Broker,
    account: BrokerAccountRow,
    maps: Mapping[str, InstrumentMapping],
) -> list[tuple[str, dict[str, Any]]]:
    """Executions of our orders since the account's watermark, ingested (idempotent). The
    watermark advances only when every execution in the page is ours and settled: anything
    else (a foreign execution, one of an order whose submission outcome is `unknown`) is left
    for reconciliation, which classifies it (unattributed -> halt; ours -> imported). Before the account's first
    reconciliation there is no watermark and nothing is imported here. Returns the live-update
    events (order, fill) of what was imported."""
    async with ctx.sessionmaker() as s:
        cursor = await s.get(VenueCursorRow, account.id)
        if cursor is None:
            return []
        watermark = cursor.watermark
    page = await broker.executions_since(watermark)
    if not page.executions:
        return []
    events: list[tuple[str, dict[str, Any]]] = []
    async with ctx.sessionmaker() as s, s.begin():
        foreign = False
        for ex in page.executions:
            order = (
                await exec_repo.order_by_coid(s, account.id, ex.client_order_id)
                if ex.client_order_id
                else None
            )
            if order is None or order.state in UNRESOLVED:
                # not ours, or ours with an unknown submission outcome: reconciliation decides
                # (with the venue's positions and open orders in view), never this import
                foreign = True
                continue
            multiplier, inverse = import_terms(maps, ex)
            ing = await ingest_execution(
                s,
                account.id,
                venue=account.venue,
                execution_id=ex.execution_id,
                client_order_id=ex.client_order_id or "",
                ts=ex.ts,
                symbol=ex.symbol,
                side=ex.side,
                qty=ex.qty,
                price=ex.price,
                fees=ex.fees,
                multiplier=multiplier,
                inverse=inverse,
            )
            if ing is not None:
                await s.flush()
                if ing.order is not None:
                    await s.refresh(ing.order)
                    events.append(("order", order_event(ing.order)))
                events.append(
                    ("fill", {"deployment_id": str(ing.deployment_id), "fill_id": str(ing.fill_id)})
                )
                await audit.append(
                    s,
                    account.id,
                    actor="broker",
                    kind="broker.execution",
                    record={"venue": account.venue, **{k: str(v) for k, v in ex.raw.items()}},
                )
        if not foreign and page.watermark != watermark:
            await s.execute(
                insert(VenueCursorRow)
                .values(account_id=account.id, watermark=page.watermark)
                .on_conflict_do_update(
                    index_elements=["account_id"], set_={"watermark": page.watermark}
                )
            )
    return events
