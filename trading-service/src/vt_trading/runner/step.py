"""The bar step of ADR 0005 through the whole chain, for one deployment and one bar.

open print (resting orders gapped through) -> model state at the open -> the approved target
snapshot of the previous close applied: deltas (planner) -> risk gate -> orders persisted BEFORE
sending (new -> submitting -> accepted) -> paper broker fills at the open -> protective orders
for the rest of the bar -> the bar's range (stops, take-profits) -> close: fills -> positions ->
P&L marks -> breakers -> model state at the close -> immutable target snapshot -> protective
orders for the next bar.

Every write happens in a short transaction that first re-checks the runner's lease (fencing):
a runner that lost its account mid-step stops at the next write, before it sends anything.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts import StrategySpec
from vt_contracts.trading import InstrumentMapping, RiskLimits
from vt_db.trading_models import (
    BrokerAccountRow,
    DeploymentRow,
    ExceptionRow,
    FillRow,
    OrderRow,
    PnLMarkRow,
    PositionRow,
    TargetSnapshotRow,
)
from vt_engine.live import ModelState, model_state
from vt_trading import audit
from vt_trading.brokers.base import BrokerUnavailable, VenueOrder
from vt_trading.context import TradingContext
from vt_trading.execution import repository as exec_repo
from vt_trading.execution.service import Ingested, fill_contract, ingest_execution, order_event
from vt_trading.ledger.planner import PlannedOrder, client_order_id, plan_orders
from vt_trading.ledger.positions import round_trips
from vt_trading.paper.broker import VENUE as PAPER_VENUE
from vt_trading.paper.broker import PaperBroker
from vt_trading.paper.matching import CostModel, Execution, PaperOrder
from vt_trading.runner import venue as venue_mod
from vt_trading.runner.lease import Lease, LeaseLost, check_lease
from vt_trading.trading import equity as equity_mod
from vt_trading.trading import risk as risk_mod

log = logging.getLogger(__name__)

PROTECT_OPEN_LEG = 100
PROTECT_CLOSE_LEG = 200
PROTECTIVE_TYPES = ("stop", "limit")


class StepHalted(Exception):
    """The step stopped on purpose (stale data, halted account, lost lease)."""


@dataclass
class StepOutcome:
    bar_at: pd.Timestamp
    orders: int = 0
    fills: int = 0
    snapshot_id: uuid.UUID | None = None
    skipped: str | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def cost_model(spec: StrategySpec) -> CostModel:
    """The spec's costs as the engine applies them (fractions, fixed commission per order)."""
    from vt_trading.paper import matching

    builder = getattr(matching, "cost_model_from_spec", None) or getattr(
        CostModel, "from_spec", None
    )
    if builder is not None:
        built: CostModel = builder(spec)
        return built
    return CostModel(
        commission=spec.costs.commission_pct / 100.0,
        commission_fixed=spec.costs.commission_fixed,
        slippage=spec.costs.slippage_pct / 100.0,
    )


def _mappings(row: DeploymentRow) -> dict[str, InstrumentMapping]:
    """signal symbol -> mapping."""
    return {
        m.signal_symbol: m
        for m in (InstrumentMapping.model_validate(x) for x in row.instrument_map)
    }


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _price(frame: pd.DataFrame, t: pd.Timestamp, column: str) -> float:
    return float(frame[column].loc[t])


def _ts(t: pd.Timestamp) -> datetime:
    out: datetime = t.to_pydatetime()
    return out if out.tzinfo else out.replace(tzinfo=UTC)


class BarStep:
    """Runs bar steps for the deployments of one account under one lease."""

    def __init__(self, ctx: TradingContext, lease: Lease | None) -> None:
        self.ctx = ctx
        self.lease = lease
        self.env = ctx.environment
        self.venues = venue_mod.VenueBrokers(ctx)  # non-paper venues (exchanges, IBKR)

    async def aclose(self) -> None:
        await self.venues.aclose()

    # --- transactions ------------------------------------------------------------------------

    async def _tx(self) -> AsyncSession:
        return self.ctx.sessionmaker()

    async def _fence(self, session: AsyncSession, account_id: uuid.UUID) -> None:
        if self.lease is not None:
            await check_lease(session, self.lease)

    # --- the step ------------------------------------------------------------------------------

    async def run(
        self,
        deployment_id: uuid.UUID,
        t: pd.Timestamp,
        data: Mapping[str, pd.DataFrame],
        *,
        replay: bool = False,
    ) -> StepOutcome:
        """Process bar `t` (both phases; a phase already done for `t` is skipped on restart)."""
        out = StepOutcome(bar_at=t)
        async with self.ctx.sessionmaker() as session:
            dep = await session.get(DeploymentRow, deployment_id)
            if dep is None:
                raise StepHalted(f"deployment {deployment_id} is gone")
            account = await session.get(BrokerAccountRow, dep.account_id)
            assert account is not None
            risk_row = await risk_mod.account_state(session, dep.account_id)
            state = risk_mod.state_name(risk_row)
        if dep.status != "running":
            out.skipped = f"deployment is {dep.status}"
            return out
        done_at = pd.Timestamp(dep.last_bar_at) if dep.last_bar_at else None
        if done_at is not None and (t < done_at or (t == done_at and dep.last_phase == "close")):
            out.skipped = "bar already processed"
            return out
        spec = StrategySpec.model_validate(dep.spec)
        costs = cost_model(spec)
        maps = _mappings(dep)
        frames = {s: f.loc[:t] for s, f in data.items()}
        for s in dep.symbols:
            if s not in frames or frames[s].empty or frames[s].index[-1] != t:
                # a symbol without bar t: do not trade on a partial picture
                await self._exception(
                    dep,
                    "stale_data",
                    "warning",
                    f"no bar at {t.isoformat()} for {s}; the signal step was skipped",
                )
                out.skipped = f"no bar for {s}"
                return out
        start = pd.Timestamp(dep.trade_start) if dep.trade_start else t
        if start.tzinfo is None:
            start = start.tz_localize("UTC")
        start = max(start, min(f.index[0] for f in frames.values()))
        trading_allowed = state == "active"

        if not (done_at is not None and t == done_at and dep.last_phase == "open"):
            # a. open print at the broker: resting orders gapped through fill at the open
            await self._broker_phase(dep, account, frames, t, "open", out)
            # b. model at the open; the previous close's approved snapshot is applied
            model = await asyncio.to_thread(
                model_state,
                spec,
                frames,
                capital=float(dep.capital),
                start=start,
                through=t,
                phase="open",
            )
            await self._apply_targets(
                dep, account, model, maps, frames, costs, t, trading_allowed, out
            )
            await self._broker_phase(dep, account, frames, t, "market", out)
            await self._protect(dep, account, model, maps, costs, t, PROTECT_OPEN_LEG, out)
            async with self.ctx.sessionmaker() as session, session.begin():
                await self._fence(session, dep.account_id)
                row = await session.get(DeploymentRow, dep.id, with_for_update=True)
                assert row is not None
                row.last_bar_at = _ts(t)
                row.last_phase = "open"
        # c. the bar's range at the broker
        await self._broker_phase(dep, account, frames, t, "range", out)
        # d. close: marks, breakers, the decision, protective orders for the next bar
        model = await asyncio.to_thread(
            model_state,
            spec,
            frames,
            capital=float(dep.capital),
            start=start,
            through=t,
            phase="close",
        )
        await self._close(dep, account, model, maps, frames, t, replay, out)
        await self._protect(dep, account, model, maps, costs, t, PROTECT_CLOSE_LEG, out)
        return out

    # --- broker phases -----------------------------------------------------------------------

    async def _broker_phase(
        self,
        dep: DeploymentRow,
        account: BrokerAccountRow,
        frames: Mapping[str, pd.DataFrame],
        t: pd.Timestamp,
        which: Literal["open", "market", "range"],
        out: StepOutcome,
    ) -> None:
        maps = _mappings(dep)
        if account.venue != PAPER_VENUE:
            await self._venue_fills(dep, account, out)
            return
        async with self.ctx.sessionmaker() as session, session.begin():
            await self._fence(session, dep.account_id)
            broker = PaperBroker(session, dep.account_id)
            execs: list[Execution] = []
            for signal, mapping in maps.items():
                bar = frames[signal].loc[t]
                sym = mapping.traded_symbol
                if which == "open":
                    execs += await broker.on_open(str(dep.id), sym, t, bar)
                elif which == "market":
                    execs += await broker.fill_markets(str(dep.id), sym, t, bar)
                else:
                    execs += await broker.on_range(str(dep.id), sym, t, bar)
            ingested = await self._ingest(session, dep, execs)
            await self._after_fills(session, broker, dep, ingested)
            for ing in ingested:
                out.fills += 1
                if ing.order is not None:
                    await session.refresh(ing.order)
                    out.events.append(("order", order_event(ing.order)))
                fill = await session.get(FillRow, ing.fill_id)
                if fill is not None:  # the fill as GET /deployments/{id}/fills returns it
                    body = {**fill_contract(fill).model_dump(mode="json"), "fill_id": str(fill.id)}
                    out.events.append(("fill", {**body, "deployment_id": str(dep.id)}))

    async def _venue_fills(
        self, dep: DeploymentRow, account: BrokerAccountRow, out: StepOutcome
    ) -> None:
        """An exchange fills on its own: import its executions of our orders by watermark. A
        venue that cannot be read stops the step (the bar runs again; nothing is lost)."""
        maps = {m.traded_symbol: m for m in _mappings(dep).values()}
        try:
            broker = await self.venues.get(account)
            events = await venue_mod.import_fills(self.ctx, broker, account, maps)
        except BrokerUnavailable as e:
            raise StepHalted(f"{account.venue} cannot be read: {e}") from e
        for event in events:
            out.fills += event[0] == "fill"
            out.events.append(event)

    async def _ingest(
        self, session: AsyncSession, dep: DeploymentRow, execs: Sequence[Execution]
    ) -> list[Ingested]:
        maps = {m.traded_symbol: m for m in _mappings(dep).values()}
        done: list[Ingested] = []
        for ex in execs:
            m = maps.get(ex.symbol)
            ing = await ingest_execution(
                session,
                dep.account_id,
                venue=PAPER_VENUE,
                execution_id=ex.execution_id,
                client_order_id=ex.client_order_id,
                ts=_ts(pd.Timestamp(ex.ts)),
                symbol=ex.symbol,
                side=ex.side,
                qty=ex.qty,
                price=ex.price,
                fees=ex.fees,
                multiplier=m.multiplier if m else Decimal(1),
                inverse=m.inverse if m else False,
            )
            if ing is not None:
                done.append(ing)
        return done

    async def _after_fills(
        self,
        session: AsyncSession,
        broker: PaperBroker,
        dep: DeploymentRow,
        ingested: Sequence[Ingested],
    ) -> None:
        """A position closed by a fill takes its protective orders with it (as in the engine)."""
        flat = {i.position.symbol for i in ingested if i.position.qty == 0}
        if not flat:
            return
        for o in await exec_repo.working_orders(
            session, dep.account_id, dep.id, types=PROTECTIVE_TYPES
        ):
            if o.symbol in flat:
                await broker.cancel(o.client_order_id)
                o.state = "cancelled"
        # our view of cancelled siblings the venue already cancelled (OCO)
        for o in await exec_repo.working_orders(
            session, dep.account_id, dep.id, types=PROTECTIVE_TYPES
        ):
            venue_row = await broker.order(o.client_order_id)
            if venue_row is not None and venue_row.status == "cancelled":
                o.state = "cancelled"
        await session.flush()

    # --- targets -> orders -------------------------------------------------------------------

    async def _apply_targets(
        self,
        dep: DeploymentRow,
        account: BrokerAccountRow,
        model: ModelState,
        maps: Mapping[str, InstrumentMapping],
        frames: Mapping[str, pd.DataFrame],
        costs: CostModel,
        t: pd.Timestamp,
        trading_allowed: bool,
        out: StepOutcome,
    ) -> None:
        planned: list[tuple[PlannedOrder, str, Any]] = []
        async with self.ctx.sessionmaker() as session, session.begin():
            await self._fence(session, dep.account_id)
            snap = await exec_repo.last_snapshot(session, dep.id)
            if snap is None or snap.review not in ("approved",):
                if snap is not None and snap.review == "proposed":
                    snap.review = "superseded"
                return
            snap.review = "applied"
            targets = {
                maps[s].traded_symbol: _dec(model.positions.get(s, 0.0)) / maps[s].multiplier
                for s in dep.symbols
            }
            positions = await equity_mod.positions_of(session, dep.account_id, dep.id)
            attributed = {p.symbol: Decimal(p.qty) for p in positions}
            if dep.dry_run:
                attributed = {
                    maps[s].traded_symbol: Decimal(str(q))
                    for s, q in (snap.model.get("positions") or {}).items()
                    if s in maps
                }
            working: dict[str, Decimal] = {}
            for o in await exec_repo.working_orders(
                session, dep.account_id, dep.id, types=("market",)
            ):
                if o.dry_run:
                    continue
                rest = Decimal(o.qty) - Decimal(o.filled_qty)
                working[o.symbol] = working.get(o.symbol, Decimal(0)) + (
                    rest if o.side == "buy" else -rest
                )
            lots = {m.traded_symbol: m for m in maps.values()}
            if account.venue != PAPER_VENUE:
                broker = await self.venues.get(account)
                lots = await venue_mod.venue_terms(self.ctx, account, dep.id, broker, lots)
            plan = plan_orders(targets, attributed, working, lots)
            if not plan:
                return
            limits = RiskLimits.model_validate(account.risk_limits)
            # sizing and the risk gate see the open print of the fill bar (ADR 0005, 3.)
            prices = {m.traded_symbol: _dec(_price(frames[s], t, "open")) for s, m in maps.items()}
            for p in plan:
                decision = await risk_mod.decide(
                    session, account, dep, p, prices, limits, instruments=lots, now=_ts(t)
                )
                coid = client_order_id(self.env, str(dep.id), snap.seq, p.leg)
                if decision.kind == "deny" or decision.qty <= 0:
                    await audit.append(
                        session,
                        dep.account_id,
                        actor="runner",
                        kind="risk.deny",
                        record={
                            "deployment_id": str(dep.id),
                            "client_order_id": coid,
                            "symbol": p.symbol,
                            "side": p.side,
                            "qty": str(p.qty),
                            "reason_code": decision.reason_code,
                            "detail": decision.detail,
                        },
                    )
                    continue
                row = OrderRow(
                    id=uuid.uuid4(),
                    account_id=dep.account_id,
                    deployment_id=dep.id,
                    target_id=snap.id,
                    client_order_id=coid,
                    symbol=p.symbol,
                    side=p.side,
                    type="market",
                    qty=decision.qty,
                    filled_qty=Decimal(0),
                    state="new",
                    reduce_only=p.reduce_only,
                    dry_run=dep.dry_run,
                    reason=p.reason,
                    risk_decision=decision.kind,
                    risk_reason=(
                        f"{decision.reason_code}: {decision.detail}"
                        if decision.kind != "allow"
                        else None
                    ),
                    bar_at=_ts(t),
                    lease_token=self.lease.token if self.lease else None,
                )
                session.add(row)
                await session.flush()
                await audit.append(
                    session,
                    dep.account_id,
                    actor="runner",
                    kind="order.new",
                    record={
                        "deployment_id": str(dep.id),
                        "target_id": str(snap.id),
                        "client_order_id": coid,
                        "symbol": p.symbol,
                        "side": p.side,
                        "qty": str(decision.qty),
                        "planned_qty": str(p.qty),
                        "reduce_only": p.reduce_only,
                        "risk": decision.kind,
                        "dry_run": dep.dry_run,
                    },
                )
                planned.append((p, coid, row.id))
        for _p, coid, _oid in planned:
            await self.submit(dep.account_id, scope=str(dep.id), coid=coid, costs=costs, out=out)
            out.orders += 1

    async def submit(
        self,
        account_id: uuid.UUID,
        *,
        scope: str,
        coid: str,
        costs: CostModel,
        out: StepOutcome | None = None,
    ) -> str:
        """new -> submitting (committed) -> broker -> accepted (committed). A crash between the
        two commits leaves `submitting`, which the next start turns into `unknown` (never
        re-sent). Dry run stops before the broker and logs what would have been sent."""
        async with self.ctx.sessionmaker() as session, session.begin():
            await self._fence(session, account_id)
            order = await exec_repo.order_by_coid(session, account_id, coid, lock=True)
            assert order is not None
            if order.state != "new":
                return order.state
            acct = await session.get(BrokerAccountRow, account_id)
            assert acct is not None
            venue = acct.venue
            request = {
                "venue": venue,
                "client_order_id": coid,
                "symbol": order.symbol,
                "side": order.side,
                "type": order.type,
                "qty": str(order.qty),
                "limit_price": str(order.limit_price) if order.limit_price is not None else None,
                "stop_price": str(order.stop_price) if order.stop_price is not None else None,
                "oco_group": order.oco_group,
                "reduce_only": order.reduce_only,
            }
            if order.dry_run:
                order.state = "cancelled"
                await audit.append(
                    session, account_id, actor="runner", kind="dry_run.would_send", record=request
                )
                log.info("dry run: would send %s", request)
                return "dry_run"
            order.state = "submitting"
            await audit.append(
                session, account_id, actor="runner", kind="broker.request", record=request
            )
            paper = PaperOrder(
                client_order_id=coid,
                symbol=order.symbol,
                side=order.side,  # type: ignore[arg-type]
                type=order.type,  # type: ignore[arg-type]
                qty=Decimal(order.qty),
                limit_price=order.limit_price,
                stop_price=order.stop_price,
                oco_group=order.oco_group,
            )
        if venue != PAPER_VENUE:
            return await self._submit_venue(acct, coid, paper)
        await self.crash_point("after_submitting")
        async with self.ctx.sessionmaker() as session, session.begin():
            await self._fence(session, account_id)
            result = await PaperBroker(session, account_id).place(scope, paper, costs)
        await self.crash_point("after_broker")
        async with self.ctx.sessionmaker() as session, session.begin():
            order = await exec_repo.order_by_coid(session, account_id, coid, lock=True)
            assert order is not None
            await audit.append(
                session,
                account_id,
                actor="broker",
                kind="broker.response",
                record={
                    "client_order_id": coid,
                    "accepted": result.accepted,
                    "broker_order_id": result.broker_order_id,
                    "duplicate": result.duplicate,
                },
            )
            if order.state == "submitting":
                order.state = "accepted" if result.accepted else "rejected"
                order.broker_order_id = result.broker_order_id
            if out is not None:  # a live update with the order as the REST routes return it
                await session.flush()
                await session.refresh(order)
                out.events.append(("order", order_event(order)))
            return order.state

    async def _submit_venue(self, account: BrokerAccountRow, coid: str, order: PaperOrder) -> str:
        """The same order path at an exchange (the row is `submitting`, committed): the venue's
        filters applied, the order sent once, its outcome recorded; never re-sent."""
        broker = await self.venues.get(account)
        vo = venue_mod.conform(
            broker,
            VenueOrder(
                client_order_id=coid,
                symbol=order.symbol,
                side=order.side,
                type=order.type,
                qty=order.qty,
                limit_price=order.limit_price,
                stop_price=order.stop_price,
                oco_group=order.oco_group,
            ),
        )
        if vo.qty != order.qty:
            async with self.ctx.sessionmaker() as session, session.begin():
                row = await exec_repo.order_by_coid(session, account.id, coid, lock=True)
                assert row is not None
                row.qty = vo.qty  # what the venue's lot step allows; recorded before sending
                await audit.append(
                    session,
                    account.id,
                    actor="runner",
                    kind="order.conformed",
                    record={"client_order_id": coid, "qty": str(order.qty), "sent": str(vo.qty)},
                )
        await self.crash_point("after_submitting")
        async with self.ctx.sessionmaker() as session:
            await self._fence(session, account.id)
        state, broker_order_id, record = await venue_mod.send(self.ctx, broker, account.id, vo)
        await self.crash_point("after_broker")
        async with self.ctx.sessionmaker() as session, session.begin():
            row = await exec_repo.order_by_coid(session, account.id, coid, lock=True)
            assert row is not None
            await audit.append(
                session,
                account.id,
                actor="broker",
                kind="broker.response",
                record={"client_order_id": coid, "venue": account.venue, **record},
            )
            if row.state == "submitting":
                row.state = state
                row.broker_order_id = broker_order_id
            if state == "unknown":
                await risk_mod.halt(session, account.id, f"order {coid}: outcome unknown")
            return row.state

    async def crash_point(self, name: str) -> None:
        """Test seam: `TRADING_TEST_CRASH_AT=<name>` kills the process here (kill -9), between
        two commits of the order path; in-process tests replace this method instead."""
        if self.ctx.settings.crash_at == name:
            os.kill(os.getpid(), signal.SIGKILL)

    # --- protective orders -------------------------------------------------------------------

    async def _protect(
        self,
        dep: DeploymentRow,
        account: BrokerAccountRow,
        model: ModelState,
        maps: Mapping[str, InstrumentMapping],
        costs: CostModel,
        t: pd.Timestamp,
        leg_base: int,
        out: StepOutcome,
    ) -> None:
        """Replace the deployment's stops / take-profits by the set the model holds in force,
        sized to the attributed position; unchanged orders stay (no churn at the venue)."""
        if dep.dry_run or account.venue != PAPER_VENUE:
            # exchange spot has no reduce-only stop through this path yet (see brokers/ccxt_venue)
            return
        to_send: list[str] = []
        async with self.ctx.sessionmaker() as session, session.begin():
            await self._fence(session, dep.account_id)
            positions = {
                p.symbol: Decimal(p.qty)
                for p in await equity_mod.positions_of(session, dep.account_id, dep.id)
            }
            wanted: list[tuple[str, str, str, Decimal, Decimal, str]] = []
            for po in model.protective:
                m = maps.get(po.symbol)
                if m is None:
                    continue
                held = abs(positions.get(m.traded_symbol, Decimal(0)))
                qty = min(_dec(po.qty) / m.multiplier, held)
                if qty <= 0:
                    continue
                kind = "stop" if po.kind == "stop" else "limit"
                wanted.append((m.traded_symbol, kind, po.side, qty, _dec(po.price), po.reason))
            broker = PaperBroker(session, dep.account_id)
            current = await exec_repo.working_orders(
                session, dep.account_id, dep.id, types=PROTECTIVE_TYPES
            )
            keep: set[uuid.UUID] = set()
            remaining = list(wanted)
            for o in current:
                price = o.stop_price if o.type == "stop" else o.limit_price
                key = (o.symbol, o.type, o.side, Decimal(o.qty) - Decimal(o.filled_qty), price)
                match = next((w for w in remaining if (w[0], w[1], w[2], w[3], w[4]) == key), None)
                if match is not None and o.state in ("accepted", "partially_filled"):
                    keep.add(o.id)
                    remaining.remove(match)
            for o in current:
                if o.id in keep or o.state in ("unknown",):
                    continue
                await broker.cancel(o.client_order_id)
                o.state = "cancelled"
                await audit.append(
                    session,
                    dep.account_id,
                    actor="runner",
                    kind="broker.cancel",
                    record={"client_order_id": o.client_order_id, "reason": "replaced"},
                )
            if remaining:
                snap = await exec_repo.last_snapshot(session, dep.id)
                seq = snap.seq if snap is not None else 0
                base = leg_base + await self._protect_offset(session, dep, seq, leg_base)
                for i, (sym, kind, side, qty, price, reason) in enumerate(remaining):
                    coid = client_order_id(self.env, str(dep.id), seq, base + i)
                    session.add(
                        OrderRow(
                            id=uuid.uuid4(),
                            account_id=dep.account_id,
                            deployment_id=dep.id,
                            target_id=snap.id if snap is not None else None,
                            client_order_id=coid,
                            symbol=sym,
                            side=side,
                            type=kind,
                            qty=qty,
                            filled_qty=Decimal(0),
                            stop_price=price if kind == "stop" else None,
                            limit_price=price if kind == "limit" else None,
                            oco_group=f"{str(dep.id)[:8]}-{sym}",
                            state="new",
                            reduce_only=True,
                            dry_run=False,
                            reason=reason,
                            risk_decision="allow",
                            bar_at=_ts(t),
                            lease_token=self.lease.token if self.lease else None,
                        )
                    )
                    to_send.append(coid)
                await session.flush()
        for coid in to_send:
            await self.submit(dep.account_id, scope=str(dep.id), coid=coid, costs=costs, out=out)
            out.orders += 1

    async def _protect_offset(
        self, session: AsyncSession, dep: DeploymentRow, seq: int, leg_base: int
    ) -> int:
        """Legs already used under this snapshot for protective orders (a trailing stop can be
        replaced several times under one snapshot)."""
        prefix = client_order_id(self.env, str(dep.id), seq, 0)[:-1]
        rows = (
            await session.scalars(
                select(OrderRow.client_order_id).where(
                    OrderRow.account_id == dep.account_id,
                    OrderRow.client_order_id.startswith(prefix),
                )
            )
        ).all()
        used = [int(c.rsplit("-", 1)[1]) for c in rows]
        mine = [u - leg_base for u in used if leg_base <= u < leg_base + 10_000]
        return max(mine) + 1 if mine else 0

    # --- close phase -------------------------------------------------------------------------

    async def _close(
        self,
        dep: DeploymentRow,
        account: BrokerAccountRow,
        model: ModelState,
        maps: Mapping[str, InstrumentMapping],
        frames: Mapping[str, pd.DataFrame],
        t: pd.Timestamp,
        replay: bool,
        out: StepOutcome,
    ) -> None:
        now = _ts(t)
        async with self.ctx.sessionmaker() as session, session.begin():
            await self._fence(session, dep.account_id)
            # marks at the close
            closes = {m.traded_symbol: _dec(_price(frames[s], t, "close")) for s, m in maps.items()}
            all_positions = await equity_mod.positions_of(session, dep.account_id)
            for p in all_positions:
                if p.symbol in closes and (p.deployment_id == dep.id or p.deployment_id is None):
                    p.last_price = closes[p.symbol]
            mine = [p for p in all_positions if p.deployment_id == dep.id]
            eq, realized, unreal, fees = equity_mod.deployment_equity(Decimal(dep.capital), mine)
            await _upsert_mark(session, dep.account_id, dep.id, now, eq, realized, unreal, fees)
            acct_eq = await equity_mod.account_equity(session, account)
            a_real = sum((p.realized_pnl for p in all_positions), Decimal(0))
            a_unr = sum((equity_mod.unrealized(p) for p in all_positions), Decimal(0))
            a_fees = sum((p.fees for p in all_positions), Decimal(0))
            await _upsert_mark(session, dep.account_id, None, now, acct_eq, a_real, a_unr, a_fees)
            # breakers, fed with the round trips this bar closed (consecutive losses)
            closed: list[Decimal] = []
            if out.fills:
                rows = (
                    await session.scalars(
                        select(FillRow)
                        .where(FillRow.deployment_id == dep.id)
                        .order_by(FillRow.ts, FillRow.created_at)
                    )
                ).all()
                closed = [
                    rt.pnl
                    for rt in round_trips(list(rows))  # type: ignore[arg-type]
                    if not rt.is_open and rt.exit_time == now
                ]
            clock = risk_mod.breaker_clock(dep, replay)  # sessions follow the bars' clock
            events = await risk_mod.evaluate_breakers(session, account, acct_eq, now, clock=clock)
            events += await risk_mod.evaluate_deployment_breakers(
                session, account, dep.id, eq, now, closed, clock=clock
            )
            for e in events:
                out.events.append(("risk", e))
            # the decision at the close: an immutable snapshot
            seq = await exec_repo.next_seq(session, dep.id)
            lines = []
            for s, m in maps.items():
                qty = _dec(model.positions.get(s, 0.0)) / m.multiplier
                lines.append(
                    {
                        "symbol": m.traded_symbol,
                        "signal_symbol": s,
                        "target_qty": str(qty),
                        "reference_price": str(closes[m.traded_symbol]),
                        "reason": model.signals.get(s, "hold"),
                    }
                )
            snap = TargetSnapshotRow(
                id=uuid.uuid4(),
                deployment_id=dep.id,
                seq=seq,
                bar_at=now,
                review="approved" if dep.review_mode == "auto" else "proposed",
                lines=lines,
                signal=dict(model.signals),
                model={
                    "as_of": model.as_of.isoformat(),
                    "positions": {k: float(v) for k, v in model.positions.items()},
                    "avg_prices": {k: float(v) for k, v in model.avg_prices.items()},
                    "cash": float(model.cash),
                    "equity": float(model.equity),
                    "warmup_bars": int(model.warmup_bars),
                    "spec_hash": model.spec_hash,
                    "bars": {
                        s: {
                            "first": frames[s].index[0].isoformat(),
                            "last": frames[s].index[-1].isoformat(),
                            "count": len(frames[s]),
                        }
                        for s in frames
                    },
                    "replay": replay,
                },
            )
            session.add(snap)
            row = await session.get(DeploymentRow, dep.id, with_for_update=True)
            assert row is not None
            row.last_bar_at = now
            row.last_phase = "close"
            if any(v not in ("hold", "flat") for v in model.signals.values()):
                row.triggered = True
            await session.flush()
            out.snapshot_id = snap.id
            out.events.append(
                (
                    "target",
                    {
                        "deployment_id": str(dep.id),
                        "id": str(snap.id),
                        "bar_at": now.isoformat(),
                        "review": snap.review,
                        "replay": replay,
                    },
                )
            )

    async def _exception(self, dep: DeploymentRow, kind: str, severity: str, detail: str) -> None:
        async with self.ctx.sessionmaker() as session, session.begin():
            session.add(
                ExceptionRow(
                    account_id=dep.account_id,
                    deployment_id=dep.id,
                    kind=kind,
                    severity=severity,
                    detail=detail,
                    data={},
                )
            )


async def _upsert_mark(
    session: AsyncSession,
    account_id: uuid.UUID,
    deployment_id: uuid.UUID | None,
    ts: datetime,
    equity: Decimal,
    realized: Decimal,
    unrealized: Decimal,
    fees: Decimal,
) -> None:
    from sqlalchemy.dialects.postgresql import insert

    values = {
        "equity": float(equity),
        "realized_pnl": float(realized),
        "unrealized_pnl": float(unrealized),
        "fees": float(fees),
    }
    await session.execute(
        insert(PnLMarkRow)
        .values(account_id=account_id, deployment_id=deployment_id, ts=ts, **values)
        .on_conflict_do_update(index_elements=["account_id", "deployment_id", "ts"], set_=values)
    )


__all__ = ["BarStep", "LeaseLost", "PositionRow", "StepHalted", "StepOutcome"]
