"""Account-level trading: positions, risk state, kill switch / re-arm, exceptions, manual tools,
audit log. Reconciliation lives in `reconcile.py`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.trading import (
    Position,
    RiskLimits,
    RiskState,
    TradingException,
)
from vt_db.trading_models import (
    AuditRow,
    BrokerAccountRow,
    ExceptionRow,
    OrderRow,
    PositionRow,
    RiskStateRow,
)
from vt_kit.problems import Conflict, NotFound, Unprocessable
from vt_trading import audit
from vt_trading.context import TradingContext
from vt_trading.execution import repository as exec_repo
from vt_trading.execution.service import ingest_execution
from vt_trading.ids import parse_id
from vt_trading.ledger.planner import client_order_id
from vt_trading.pagination import paginate, parse_sort
from vt_trading.paper.broker import PaperBroker
from vt_trading.trading import equity as equity_mod
from vt_trading.trading import risk as risk_mod

KILL_SEQ_BASE = 1_000_000
"""Flatten orders of kill episode N use snapshot sequence KILL_SEQ_BASE + N (never a real one)."""
MANUAL_SEQ_BASE = 2_000_000


def position_contract(row: PositionRow) -> Position:
    unreal = equity_mod.unrealized(row) if row.last_price is not None else None
    value = (
        Decimal(row.qty) * Decimal(row.last_price) * Decimal(row.multiplier)
        if row.last_price is not None
        else None
    )
    return Position(
        account_id=str(row.account_id),
        deployment_id=str(row.deployment_id) if row.deployment_id else None,
        symbol=row.symbol,
        qty=row.qty,
        avg_price=row.avg_price,
        multiplier=row.multiplier,
        last_price=row.last_price,
        market_value=value,
        unrealized_pnl=unreal,
        realized_pnl=row.realized_pnl,
        attributed=row.deployment_id is not None,
    )


def exception_contract(row: ExceptionRow) -> TradingException:
    return TradingException(
        id=str(row.id),
        account_id=str(row.account_id),
        deployment_id=str(row.deployment_id) if row.deployment_id else None,
        kind=row.kind,
        severity=row.severity,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        detail=row.detail,
        data={
            k: v
            for k, v in row.data.items()
            if isinstance(v, str | float | int | bool) or v is None
        },
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


async def account_positions(session: AsyncSession, account: BrokerAccountRow) -> list[PositionRow]:
    return await equity_mod.positions_of(session, account.id)


async def risk_state(session: AsyncSession, account: BrokerAccountRow) -> RiskState:
    row = await risk_mod.account_state(session, account.id)
    limits = RiskLimits.model_validate(account.risk_limits)
    equity = await equity_mod.account_equity(session, account)
    data = row.data if row is not None else {}

    def num(key: str) -> Decimal:
        try:
            return Decimal(str(data.get(key, equity)))
        except ArithmeticError:
            return equity

    breakers_list: list[Any] = []
    try:
        from vt_trading.risk import breakers

        breakers_list = list(breakers.breakers(risk_mod.breaker_state(row), equity, limits))
    except ImportError:
        breakers_list = []
    return RiskState(
        account_id=str(account.id),
        environment=account.environment,  # type: ignore[arg-type]
        state=risk_mod.state_name(row),  # type: ignore[arg-type]
        reason=row.reason if row is not None else "risk state missing (fail closed)",
        equity=equity,
        peak_equity=num("peak_equity"),
        day_start_equity=num("day_start_equity"),
        week_start_equity=num("week_start_equity"),
        breakers=breakers_list,
        killed_at=row.killed_at if row is not None else None,
        flatten_latched=row.flatten_latched if row is not None else False,
        limits=limits,
    )


# --- kill switch -------------------------------------------------------------------------------


async def kill(
    ctx: TradingContext,
    user_id: uuid.UUID,
    account: BrokerAccountRow,
    reason: str,
    *,
    actor: str | None = None,
) -> list[str]:
    """Hold the account `killed`, cancel every working order, flatten every attributed position
    reduce-only. The flatten is latched (persisted BEFORE sending) per kill episode, so a second
    kill or a restart never sends it again. Returns the client ids of the flatten orders.
    ``actor`` is who fired it for the audit log (default: the user; ``risk`` for a breaker).

    A venue other than paper (IBKR, an exchange) is acted on through the account's broker from
    the registry: see `_kill_at_venue`."""
    who = actor or str(user_id)
    from vt_trading.paper.broker import VENUE as PAPER_VENUE
    from vt_trading.risk import breakers

    at_venue = account.venue != PAPER_VENUE
    now = datetime.now(UTC)
    flatten: list[str] = []
    to_cancel: list[str] = []
    async with ctx.sessionmaker() as session, session.begin():
        row = await risk_mod.account_state(session, account.id, lock=True)
        if row is None:
            raise Conflict("the account has no risk state; it is halted (fail closed).")
        # the runner retrying a kill whose venue was unreachable: no second `risk.kill` entry
        retry = (
            at_venue
            and row.state == "killed"
            and await _open_exception(session, account.id, "kill_pending")
        )
        state, _ev = breakers.kill(risk_mod.breaker_state(row), reason, now)
        risk_mod.store(row, state)
        if not retry:
            await audit.append(
                session,
                account.id,
                actor=who,
                kind="risk.kill",
                record={"reason": reason, "episode": row.episode},
            )
        broker = PaperBroker(session, account.id)
        for o in await exec_repo.working_orders(session, account.id):
            if o.state == "unknown":
                continue  # only reconciliation may touch an order whose fate is unknown
            if at_venue:
                if o.state == "submitting":
                    continue  # in flight elsewhere: the venue-wide cancel or reconciliation
                if o.state == "cancel_pending":
                    to_cancel.append(o.client_order_id)  # asked before; ask the venue again
                    continue
                if o.state == "new":
                    o.state = "cancelled"  # never left us
                else:
                    o.state = "cancel_pending"  # until the venue confirms
                    to_cancel.append(o.client_order_id)
            else:
                await broker.cancel(o.client_order_id)
                o.state = "cancelled"
            await audit.append(
                session,
                account.id,
                actor=who,
                kind="broker.cancel",
                record={
                    "client_order_id": o.client_order_id,
                    "reason": "kill switch",
                    "venue": account.venue,
                    "state": o.state,
                },
            )
        if not at_venue:
            flatten = await _latch_flatten(ctx, session, account, who, now)
    if at_venue:
        flatten = await _kill_at_venue(ctx, account, who, to_cancel)
    elif flatten:
        from vt_trading.runner.step import BarStep

        step = BarStep(ctx, None)
        specs = await _flatten_costs(ctx, account.id, flatten)
        for coid in flatten:
            scope, costs = specs[coid]
            await step.submit(account.id, scope=scope, coid=coid, costs=costs)
        # deployments that will not step again (replay over, stopped, paused) fill theirs now
        from vt_trading.trading.flatten import settle_ended_scopes

        await settle_ended_scopes(ctx, account.id, flatten)
    await ctx.events.publish(
        str(user_id), "risk", {"account_id": str(account.id), "state": "killed", "reason": reason}
    )
    return flatten


async def _latch_flatten(
    ctx: TradingContext,
    session: AsyncSession,
    account: BrokerAccountRow,
    who: str,
    now: datetime,
) -> list[str]:
    """In the caller's transaction: when this kill episode's flatten has not been latched yet,
    latch it and persist one reduce-only market order per attributed position (state `new`,
    sent after the commit). Returns their client order ids."""
    from vt_trading.risk import breakers

    row = await risk_mod.account_state(session, account.id, lock=True)
    assert row is not None
    state = risk_mod.breaker_state(row)
    if not breakers.needs_flatten(state):
        return []
    # the latch is written in this transaction, before any flatten order is sent
    state, _ev = breakers.latch_flatten(state, now)
    risk_mod.store(row, state)
    positions = [
        p
        for p in await equity_mod.positions_of(session, account.id)
        if p.deployment_id is not None and p.qty != 0
    ]
    flatten: list[str] = []
    for leg, p in enumerate(positions):
        coid = client_order_id(
            ctx.environment, str(p.deployment_id), KILL_SEQ_BASE + row.episode, leg
        )
        session.add(
            OrderRow(
                id=uuid.uuid4(),
                account_id=account.id,
                deployment_id=p.deployment_id,
                client_order_id=coid,
                symbol=p.symbol,
                side="sell" if p.qty > 0 else "buy",
                type="market",
                qty=abs(Decimal(p.qty)),
                filled_qty=Decimal(0),
                state="new",
                reduce_only=True,
                dry_run=False,
                reason="kill_flatten",
                risk_decision="allow",
            )
        )
        flatten.append(coid)
    await audit.append(
        session,
        account.id,
        actor=who,
        kind="risk.flatten_latched",
        record={"episode": row.episode, "orders": flatten},
    )
    return flatten


async def _flatten_costs(
    ctx: TradingContext, account_id: uuid.UUID, flatten: list[str]
) -> dict[str, tuple[str, Any]]:
    """client order id -> (scope, the deployment spec's cost model) of each flatten order."""
    from vt_contracts import StrategySpec
    from vt_db.trading_models import DeploymentRow
    from vt_trading.runner.step import cost_model

    out: dict[str, tuple[str, Any]] = {}
    async with ctx.sessionmaker() as session:
        orders = (
            await session.scalars(
                select(OrderRow).where(
                    OrderRow.account_id == account_id, OrderRow.client_order_id.in_(flatten)
                )
            )
        ).all()
        for o in orders:
            dep = await session.get(DeploymentRow, o.deployment_id)
            if dep is not None:
                out[o.client_order_id] = (
                    str(dep.id),
                    cost_model(StrategySpec.model_validate(dep.spec)),
                )
    return out


async def _kill_at_venue(
    ctx: TradingContext, account: BrokerAccountRow, who: str, to_cancel: list[str]
) -> list[str]:
    """The kill at a real venue, through the account's broker from the registry:

    1. every working order of the account is cancelled AT THE VENUE — the broker's venue-wide
       ``cancel_all`` where it has one (IBKR: ``reqGlobalCancel``, because TWS cancels an order
       by id only from the connection that placed it, and the runner's connection is not this
       one), else one ``cancel`` per order of ours;
    2. executions up to now are imported, so the flatten sizes the position the venue holds;
    3. the flatten is latched and its reduce-only market orders sent once, through the same
       order path as the bar step (persisted before sending; refused -> rejected; unknown ->
       unknown + halt); their fills are imported.

    A venue that cannot be reached (`BrokerUnavailable`: nothing was sent) leaves the kill
    *pending*: the account is killed, the flatten is NOT latched, and an exception says so; the
    runner's supervisor calls the kill again each poll (`_flatten_if_killed`) and the first call
    that reaches the venue cancels, latches and flattens, once. Anything else that goes wrong
    (a cancel IB does not confirm, a flatten refused) opens a `kill_incomplete` exception."""
    from vt_trading.brokers.base import BrokerError, BrokerUnavailable
    from vt_trading.runner import venue as venue_mod
    from vt_trading.runner.step import BarStep

    step = BarStep(ctx, None)
    problems: list[str] = []
    flatten: list[str] = []
    try:
        maps = await venue_mod.account_maps(ctx, account.id)
        try:
            broker = await step.venues.get(account)
            cancel_all = getattr(broker, "cancel_all", None)
            done: list[str] = []
            if cancel_all is not None:
                try:
                    await cancel_all()
                    done = list(to_cancel)  # none of them works at the venue any more
                except BrokerUnavailable:
                    raise
                except BrokerError as e:
                    problems.append(f"cancel all: {e}")
            else:
                for coid in to_cancel:
                    try:
                        await broker.cancel(coid)  # False: it no longer works there either
                        done.append(coid)
                    except BrokerUnavailable:
                        raise
                    except BrokerError as e:
                        problems.append(f"cancel {coid}: {e}")
            await _mark_cancelled(ctx, account.id, done, who)
            await venue_mod.import_fills(ctx, broker, account, maps)
        except BrokerError as e:  # unreachable, or refused to connect: nothing was sent
            await _kill_exception(
                ctx,
                account.id,
                "kill_pending",
                f"kill switch: {account.venue} cannot be reached ({e}); nothing was cancelled "
                "or flattened there yet. The account stays killed; the runner retries the "
                "cancel-all and the flatten when the venue answers (sent once).",
                once=True,
            )
            return []
        async with ctx.sessionmaker() as session, session.begin():
            flatten = await _latch_flatten(ctx, session, account, who, datetime.now(UTC))
        specs = await _flatten_costs(ctx, account.id, flatten)
        states: dict[str, str] = {}
        for coid in flatten:
            scope, costs = specs[coid]
            states[coid] = await step.submit(account.id, scope=scope, coid=coid, costs=costs)
        if flatten:
            try:
                await venue_mod.import_fills(ctx, broker, account, maps)
            except BrokerError as e:
                problems.append(f"importing the flatten's fills: {e} (reconciliation will)")
        problems += [
            f"flatten {coid} is {st}"
            for coid, st in states.items()
            if st not in ("accepted", "partially_filled", "filled")
        ]
        if problems:
            await _kill_exception(
                ctx,
                account.id,
                "kill_incomplete",
                "kill switch at " + account.venue + ": " + "; ".join(problems),
            )
    finally:
        await step.aclose()
    return flatten


async def _mark_cancelled(
    ctx: TradingContext, account_id: uuid.UUID, coids: list[str], who: str
) -> None:
    if not coids:
        return
    async with ctx.sessionmaker() as session, session.begin():
        for coid in coids:
            o = await exec_repo.order_by_coid(session, account_id, coid, lock=True)
            if o is None or o.state != "cancel_pending":
                continue
            o.state = "cancelled"
            await audit.append(
                session,
                account_id,
                actor=who,
                kind="broker.cancelled",
                record={"client_order_id": coid, "reason": "kill switch"},
            )


async def _open_exception(session: AsyncSession, account_id: uuid.UUID, kind: str) -> bool:
    found = await session.scalar(
        select(ExceptionRow.id)
        .where(
            ExceptionRow.account_id == account_id,
            ExceptionRow.kind == kind,
            ExceptionRow.status == "open",
        )
        .limit(1)
    )
    return found is not None


async def _kill_exception(
    ctx: TradingContext, account_id: uuid.UUID, kind: str, detail: str, *, once: bool = False
) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        if once and await _open_exception(session, account_id, kind):
            return
        session.add(
            ExceptionRow(
                account_id=account_id,
                deployment_id=None,
                kind=kind,
                severity="critical",
                detail=detail,
                data={},
            )
        )
        await audit.append(
            session, account_id, actor="risk", kind=f"risk.{kind}", record={"detail": detail}
        )


async def rearm(
    ctx: TradingContext, user_id: uuid.UUID, account: BrokerAccountRow, reason: str
) -> None:
    from vt_trading.risk import breakers

    now = datetime.now(UTC)
    async with ctx.sessionmaker() as session, session.begin():
        row = await risk_mod.account_state(session, account.id, lock=True)
        if row is None:
            raise Conflict("the account has no risk state; it is halted (fail closed).")
        before = row.state
        state = risk_mod.breaker_state(row)
        state, _ev = (
            breakers.rearm(state, reason, now)
            if before == "killed"
            else breakers.clear(state, reason, now)
        )
        risk_mod.store(row, state)
        await audit.append(
            session,
            account.id,
            actor=str(user_id),
            kind="risk.rearm",
            record={"reason": reason, "from": before, "to": row.state},
        )
    await ctx.events.publish(
        str(user_id), "risk", {"account_id": str(account.id), "state": row.state, "reason": reason}
    )


# --- exceptions --------------------------------------------------------------------------------


async def list_exceptions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    account_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
    sort: str | None,
) -> tuple[list[ExceptionRow], str | None]:
    _, desc = parse_sort(sort, ["created_at"], "-created_at")
    q = (
        select(ExceptionRow)
        .join(BrokerAccountRow, BrokerAccountRow.id == ExceptionRow.account_id)
        .where(BrokerAccountRow.user_id == user_id)
    )
    if account_id is not None:
        q = q.where(ExceptionRow.account_id == account_id)
    if status is not None:
        q = q.where(ExceptionRow.status == status)
    return await paginate(
        session,
        q,
        column=ExceptionRow.created_at,
        id_column=ExceptionRow.id,
        limit=limit,
        cursor=cursor,
        descending=desc,
    )


async def update_exception(
    session: AsyncSession, user_id: uuid.UUID, exception_id: str, action: str, reason: str
) -> ExceptionRow:
    eid = parse_id(exception_id)
    row = None
    if eid is not None:
        row = await session.scalar(
            select(ExceptionRow)
            .join(BrokerAccountRow, BrokerAccountRow.id == ExceptionRow.account_id)
            .where(ExceptionRow.id == eid, BrokerAccountRow.user_id == user_id)
            .with_for_update(of=ExceptionRow)
        )
    if row is None:
        raise NotFound(f"exception '{exception_id}' not found.", slug="exception-not-found")
    if row.status == "resolved":
        raise Conflict("this exception is already resolved.", slug="bad-transition")
    row.status = "acknowledged" if action == "acknowledge" else "resolved"
    row.resolved_by = str(user_id)
    row.resolution = reason
    if row.status == "resolved":
        row.resolved_at = datetime.now(UTC)
    await audit.append(
        session,
        row.account_id,
        actor=str(user_id),
        kind=f"exception.{action}",
        record={"exception_id": str(row.id), "kind": row.kind, "reason": reason},
    )
    await session.flush()
    await session.refresh(row)
    return row


# --- manual tools ------------------------------------------------------------------------------


async def manual_trade(
    session: AsyncSession,
    user_id: uuid.UUID,
    account: BrokerAccountRow,
    *,
    deployment_id: uuid.UUID | None,
    symbol: str,
    side: str,
    qty: Decimal,
    price: Decimal,
    fees: Decimal,
    ts: datetime,
    reason: str,
) -> PositionRow:
    """Record a trade made outside the system (e.g. by hand at the broker) into our ledger."""
    execution_id = f"manual-{uuid.uuid4().hex}"
    ing = await ingest_execution(
        session,
        account.id,
        venue="manual",
        execution_id=execution_id,
        client_order_id=f"m{uuid.uuid4().hex[:20]}",
        ts=ts,
        symbol=symbol,
        side=side,
        qty=qty,
        price=price,
        fees=fees,
    )
    assert ing is not None
    pos = ing.position
    if deployment_id is not None:
        pos = await _move(
            session,
            account.id,
            None,
            deployment_id,
            symbol,
            Decimal(qty if side == "buy" else -qty),
        )
    await audit.append(
        session,
        account.id,
        actor=str(user_id),
        kind="manual.trade",
        record={
            "execution_id": execution_id,
            "deployment_id": str(deployment_id) if deployment_id else None,
            "symbol": symbol,
            "side": side,
            "qty": str(qty),
            "price": str(price),
            "reason": reason,
        },
    )
    return pos


async def reattribute(
    session: AsyncSession,
    user_id: uuid.UUID,
    account: BrokerAccountRow,
    *,
    symbol: str,
    qty: Decimal,
    from_deployment: uuid.UUID | None,
    to_deployment: uuid.UUID | None,
    reason: str,
) -> PositionRow:
    """Move signed `qty` of `symbol` between deployments (None: the unattributed bucket)."""
    if from_deployment == to_deployment:
        raise Unprocessable("from and to are the same; nothing to re-attribute.")
    pos = await _move(session, account.id, from_deployment, to_deployment, symbol, qty)
    await audit.append(
        session,
        account.id,
        actor=str(user_id),
        kind="manual.reattribute",
        record={
            "symbol": symbol,
            "qty": str(qty),
            "from": str(from_deployment) if from_deployment else None,
            "to": str(to_deployment) if to_deployment else None,
            "reason": reason,
        },
    )
    return pos


async def _move(
    session: AsyncSession,
    account_id: uuid.UUID,
    src: uuid.UUID | None,
    dst: uuid.UUID | None,
    symbol: str,
    qty: Decimal,
) -> PositionRow:
    a = await exec_repo.position(session, account_id, src, symbol)
    if (
        (a.qty > 0 and qty > a.qty)
        or (a.qty < 0 and qty < a.qty)
        or a.qty == 0
        or ((a.qty > 0) != (qty > 0))
    ):
        raise Unprocessable(
            f"the source holds {a.qty} {symbol}; you can move at most that much, same sign.",
            slug="bad-reattribution",
        )
    b = await exec_repo.position(session, account_id, dst, symbol)
    price = Decimal(a.avg_price)
    a.qty = Decimal(a.qty) - qty
    if a.qty == 0:
        a.avg_price = Decimal(0)
    total = Decimal(b.qty) + qty
    if b.qty == 0 or (b.qty > 0) == (qty > 0):
        b.avg_price = (
            (abs(Decimal(b.qty)) * Decimal(b.avg_price) + abs(qty) * price) / abs(total)
            if total != 0
            else Decimal(0)
        )
    b.qty = total
    b.last_price = a.last_price
    await session.flush()
    return b


async def close_break(
    session: AsyncSession,
    user_id: uuid.UUID,
    account: BrokerAccountRow,
    *,
    exception_id: str,
    reason: str,
) -> ExceptionRow:
    """A person declares a reconciliation break settled (after fixing the ledger)."""
    row = await update_exception(session, user_id, exception_id, "resolve", reason)
    await audit.append(
        session,
        account.id,
        actor=str(user_id),
        kind="manual.close_break",
        record={"exception_id": exception_id, "reason": reason},
    )
    return row


# --- audit -------------------------------------------------------------------------------------


async def audit_page(
    session: AsyncSession,
    account: BrokerAccountRow,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditRow], str | None, bool]:
    from vt_trading.ledger.audit import verify

    rows = list(
        (
            await session.scalars(
                select(AuditRow).where(AuditRow.account_id == account.id).order_by(AuditRow.seq)
            )
        ).all()
    )
    verified = verify(audit.chain_records(rows)) is None
    start = int(cursor) if cursor and cursor.isdigit() else 0
    page = [r for r in rows if r.seq > start][:limit]
    nxt = str(page[-1].seq) if len(page) == limit and page[-1].seq != rows[-1].seq else None
    return page, nxt, verified


async def risk_row(session: AsyncSession, account_id: uuid.UUID) -> RiskStateRow | None:
    return await risk_mod.account_state(session, account_id)
