"""Risk state wiring: persisted breaker state per account / deployment, kill and re-arm.

The state machine itself is RISK's pure `vt_trading.risk.breakers`; this module loads and
stores it and fails closed: a state that cannot be read halts trading for the account."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.trading import RiskLimits
from vt_db.trading_models import DeploymentRow, RiskStateRow
from vt_trading import audit

log = logging.getLogger(__name__)

TRADING_STATES = ("active",)
"""States in which new risk may be taken; everything else allows reducing orders only."""


def breaker_clock(deployment: DeploymentRow, replay: bool) -> str:
    """The clock a bar of this deployment is read from, for the breakers' sessions and weeks:
    the live clock, or the replay's bar clock (one per replay start, so replays of one period
    on an account share it)."""
    if not replay or deployment.trade_start is None:
        return "live"
    return f"replay:{deployment.trade_start.date().isoformat()}"


def initial_state_data(equity: Decimal) -> dict[str, Any]:
    from vt_trading.risk.breakers import BreakerState

    data: dict[str, Any] = BreakerState.initial(equity, datetime.now(UTC)).to_dict()
    return data


def breaker_state(row: RiskStateRow | None) -> Any:
    """RISK's BreakerState of a row; unreadable or missing -> a halted state (fail closed)."""
    from vt_trading.risk.breakers import BreakerState

    if row is None:
        return BreakerState.fail_closed("risk state missing", datetime.now(UTC))
    return BreakerState.from_dict(row.data)


def store(row: RiskStateRow, state: Any) -> None:
    """Write a BreakerState back; the columns mirror it for queries and the API."""
    row.data = state.to_dict()
    row.state = state.state
    row.reason = state.reason
    row.killed_at = state.killed_at
    row.flatten_latched = state.flatten_latched
    row.episode = state.kill_episode


async def account_state(
    session: AsyncSession, account_id: uuid.UUID, *, lock: bool = False
) -> RiskStateRow | None:
    q = select(RiskStateRow).where(
        RiskStateRow.account_id == account_id, RiskStateRow.deployment_id.is_(None)
    )
    if lock:
        q = q.with_for_update()
    row: RiskStateRow | None = await session.scalar(q)
    return row


def state_name(row: RiskStateRow | None) -> str:
    """Fail closed: a missing or unreadable state is `halted`."""
    name: str = breaker_state(row).state
    return name


async def deployment_state(
    session: AsyncSession, account_id: uuid.UUID, deployment_id: uuid.UUID, *, lock: bool = False
) -> RiskStateRow | None:
    q = select(RiskStateRow).where(
        RiskStateRow.account_id == account_id, RiskStateRow.deployment_id == deployment_id
    )
    if lock:
        q = q.with_for_update()
    row: RiskStateRow | None = await session.scalar(q)
    return row


async def halt(session: AsyncSession, account_id: uuid.UUID, reason: str) -> RiskStateRow | None:
    """Halt the account (never lowers a kill)."""
    from vt_trading.risk import breakers

    row = await account_state(session, account_id, lock=True)
    if row is None:
        return None
    state, _events = breakers.halt(breaker_state(row), reason, datetime.now(UTC))
    store(row, state)
    await session.flush()
    return row


# --- the pre-order gate and the breakers (RISK's pure modules, fed from our rows) -------------


async def decide(
    session: AsyncSession,
    account: Any,
    deployment: Any,
    planned: Any,
    last_prices: dict[str, Decimal],
    limits: RiskLimits,
    *,
    instruments: dict[str, Any],
    now: datetime,
) -> Any:
    """RISK's `check_order` on a context built from our rows; the caller records the decision
    with the order (or a denial in the audit log)."""
    from vt_trading.risk import gate

    ctx = await risk_context(
        session, account, last_prices, limits, instruments=instruments, now=now
    )
    own = await deployment_state(session, account.id, deployment.id)
    if own is not None:
        ctx = replace(ctx, deployment_risk_state=breaker_state(own).state)
    return gate.check_order(ctx, gate.ProposedOrder.from_planned(planned, str(deployment.id)))


async def risk_context(
    session: AsyncSession,
    account: Any,
    last_prices: dict[str, Decimal],
    limits: RiskLimits,
    *,
    instruments: dict[str, Any],
    now: datetime,
) -> Any:
    from sqlalchemy import func

    from vt_db.trading_models import OrderRow
    from vt_trading.execution import repository as exec_repo
    from vt_trading.risk import gate
    from vt_trading.trading import equity as equity_mod

    row = await account_state(session, account.id)
    state = breaker_state(row)
    positions = await equity_mod.positions_of(session, account.id)
    equity = await equity_mod.account_equity(session, account)
    held: dict[str, Decimal] = {}
    prices = dict(last_prices)
    for p in positions:
        held[p.symbol] = held.get(p.symbol, Decimal(0)) + Decimal(p.qty)
        if p.symbol not in prices and p.last_price is not None:
            prices[p.symbol] = Decimal(p.last_price)
    working: dict[str, Decimal] = {}
    for o in await exec_repo.working_orders(session, account.id, types=("market",)):
        rest = Decimal(o.qty) - Decimal(o.filled_qty)
        working[o.symbol] = working.get(o.symbol, Decimal(0)) + (rest if o.side == "buy" else -rest)
    # the rate limit counts on the bar clock: a replay at 10,000 bars/s is not 10,000 orders a
    # second at a broker, and live bar time is wall time
    recent = await session.scalar(
        select(func.count()).where(
            OrderRow.account_id == account.id,
            OrderRow.bar_at > now - timedelta(minutes=1),
            OrderRow.bar_at <= now,
        )
    )
    day_start = Decimal(state.day_start_equity) if state.day_start_equity > 0 else equity
    from vt_trading.overrides.service import gate_inputs

    overrides, allow_list = await gate_inputs(session, account.id)
    return gate.RiskContext(
        equity=equity,
        positions=held,
        last_prices=prices,
        limits=limits,
        risk_state=state.state,
        day_start_equity=day_start,
        realized_today=Decimal(0),
        unrealized_today=equity - day_start,
        orders_last_minute=int(recent or 0),
        working=working,
        overrides=overrides,
        allow_list=allow_list,
        instruments=instruments,
    )


async def evaluate_breakers(
    session: AsyncSession,
    account: Any,
    equity: Decimal,
    now: datetime,
    closed_pnl: Sequence[Decimal] = (),
    *,
    clock: str = "live",
) -> list[dict[str, Any]]:
    """Feed the account's breaker state machine with the equity at this close (``now`` is the
    bar's time on ``clock``: sessions and weeks follow the bars, not the wall clock)."""
    from vt_trading.risk import breakers

    row = await account_state(session, account.id, lock=True)
    if row is None:
        return []
    limits = RiskLimits.model_validate(account.risk_limits)
    new_state, events = breakers.evaluate(
        breaker_state(row),
        breakers.EquitySnapshot(
            equity=equity, at=now, realized_trade_pnl=tuple(closed_pnl), clock=clock
        ),
        limits,
        now,
    )
    store(row, new_state)
    await session.flush()
    return [{"account_id": str(account.id), **e.to_dict()} for e in events]


async def evaluate_deployment_breakers(
    session: AsyncSession,
    account: Any,
    deployment_id: uuid.UUID,
    equity: Decimal,
    now: datetime,
    closed_pnl: Sequence[Decimal] = (),
    *,
    clock: str = "live",
) -> list[dict[str, Any]]:
    """The deployment's own breakers (its equity from its capital; consecutive losing round
    trips pause the deployment, not the whole account). Created on the first close, on the bar
    clock, so a replay's sessions roll with its bars.

    A losing streak pauses the deployment itself (status ``paused``): the runner stops stepping
    it, so the pause holds until a person resumes it (a session roll of a replay's bar clock
    would otherwise lift it one bar later)."""
    from vt_trading.risk import breakers

    row = await deployment_state(session, account.id, deployment_id, lock=True)
    if row is None:
        state = breakers.BreakerState.initial(equity, now, clock=clock)
        row = RiskStateRow(
            account_id=account.id,
            deployment_id=deployment_id,
            state=state.state,
            data=state.to_dict(),
        )
        session.add(row)
        await session.flush()
    limits = RiskLimits.model_validate(account.risk_limits)
    new_state, events = breakers.evaluate(
        breaker_state(row),
        breakers.EquitySnapshot(
            equity=equity, at=now, realized_trade_pnl=tuple(closed_pnl), clock=clock
        ),
        limits,
        now,
    )
    store(row, new_state)
    for e in events:
        if e.kind == "tripped_losses":
            await _pause_deployment(session, account.id, deployment_id, e.reason, now)
    await session.flush()
    return [
        {"account_id": str(account.id), "deployment_id": str(deployment_id), **e.to_dict()}
        for e in events
    ]


async def _pause_deployment(
    session: AsyncSession, account_id: uuid.UUID, deployment_id: uuid.UUID, why: str, at: datetime
) -> None:
    dep = await session.get(DeploymentRow, deployment_id, with_for_update=True)
    if dep is None or dep.status != "running":
        return
    dep.status = "paused"
    dep.status_reason = why
    await audit.append(
        session,
        account_id,
        actor="risk",
        kind="deployment.paused",
        record={"deployment_id": str(deployment_id), "reason": why, "bar_at": at.isoformat()},
    )


async def resume_deployment_risk(
    session: AsyncSession, account_id: uuid.UUID, deployment_id: uuid.UUID, actor: str
) -> str | None:
    """A person's resume lifts the deployment's own ``paused`` breaker (a losing streak); other
    states (halted, killed) are not a resume's to lift. Returns the state lifted, if any."""
    from vt_trading.risk import breakers

    row = await deployment_state(session, account_id, deployment_id, lock=True)
    if row is None or row.state != "paused":
        return None
    state, _events = breakers.clear(breaker_state(row), "resumed by a person", datetime.now(UTC))
    store(row, state)
    await audit.append(
        session,
        account_id,
        actor=actor,
        kind="risk.resumed",
        record={"deployment_id": str(deployment_id), "from": "paused", "to": state.state},
    )
    await session.flush()
    return "paused"
