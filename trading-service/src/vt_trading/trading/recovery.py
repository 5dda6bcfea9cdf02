"""Crash recovery and deployment faults: finish or flag what a crash left behind.

An order left in `submitting` may or may not have reached the broker: it becomes `unknown`, the
account is halted and an exception opened; it is never re-sent (only reconciliation or a person
resolves it). `new` orders never left us and are cancelled: the next step plans again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from vt_db.trading_models import DeploymentRow, ExceptionRow, OrderRow
from vt_trading import audit, notify
from vt_trading.context import TradingContext
from vt_trading.runner.lease import Lease, check_lease
from vt_trading.trading import risk as risk_mod


async def recover_account(
    ctx: TradingContext, account_id: uuid.UUID, *, lease: Lease | None = None
) -> int:
    """Flag ambiguous submissions; returns how many orders became `unknown`."""
    async with ctx.sessionmaker() as session, session.begin():
        if lease is not None:
            await check_lease(session, lease)
        rows = (
            await session.scalars(
                select(OrderRow)
                .where(OrderRow.account_id == account_id, OrderRow.state.in_(("submitting", "new")))
                .with_for_update()
            )
        ).all()
        unknown = 0
        for o in rows:
            if o.state == "new":
                o.state = "cancelled"
                await audit.append(
                    session,
                    account_id,
                    actor="recovery",
                    kind="order.cancelled_unsent",
                    record={"client_order_id": o.client_order_id},
                )
                continue
            o.state = "unknown"
            unknown += 1
            session.add(
                ExceptionRow(
                    account_id=account_id,
                    deployment_id=o.deployment_id,
                    kind="ambiguous_submission",
                    severity="critical",
                    detail=(
                        f"order {o.client_order_id} ({o.side} {o.qty} {o.symbol}) was being "
                        "submitted when the process stopped; whether the broker has it is unknown. "
                        "It was NOT re-sent. Reconcile, then resolve this exception."
                    ),
                    data={"client_order_id": o.client_order_id, "order_id": str(o.id)},
                )
            )
            await audit.append(
                session,
                account_id,
                actor="recovery",
                kind="order.unknown",
                record={"client_order_id": o.client_order_id, "was": "submitting"},
            )
        if unknown:
            await risk_mod.halt(
                session, account_id, f"{unknown} order(s) with unknown submission outcome"
            )
            await audit.append(
                session,
                account_id,
                actor="recovery",
                kind="risk.halted",
                record={"reason": "ambiguous submission after restart", "orders": unknown},
            )
    if unknown:
        await notify.risk_changed(ctx, account_id, "halted")
    return unknown


async def fail_deployment(ctx: TradingContext, deployment_id: uuid.UUID, reason: str) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(DeploymentRow, deployment_id, with_for_update=True)
        if row is None or row.status not in ("running", "paused", "pending"):
            return
        row.status = "failed"
        row.status_reason = reason
        session.add(
            ExceptionRow(
                account_id=row.account_id,
                deployment_id=row.id,
                kind="step_failed",
                severity="critical",
                detail=reason,
                data={},
            )
        )
        await audit.append(
            session,
            row.account_id,
            actor="runner",
            kind="deployment.failed",
            record={"deployment_id": str(row.id), "reason": reason},
        )
    await notify.deployment_changed(ctx, deployment_id)


def past_expiry(dep: DeploymentRow, at: datetime) -> bool:
    """``at`` (the time on the deployment's clock: wall time live, the next bar's time in a
    replay) has reached `expires_at` and the deployment was never triggered."""
    return dep.expires_at is not None and not dep.triggered and at >= dep.expires_at


async def expire_deployment(
    ctx: TradingContext, deployment_id: uuid.UUID, *, clock: str, at: datetime
) -> None:
    """`expired`: not triggered before `expires_at`, which `at` (the time on the deployment's
    clock: wall time live, bar time in a replay) has reached."""
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(DeploymentRow, deployment_id, with_for_update=True)
        if row is None or row.status != "running":
            return
        row.status = "expired"
        row.status_reason = (
            f"not triggered before its expiry ({row.expires_at:%Y-%m-%d %H:%M} UTC on the "
            f"{clock} clock)"
            if row.expires_at is not None
            else "not triggered before its expiry"
        )
        await audit.append(
            session,
            row.account_id,
            actor="runner",
            kind="deployment.expired",
            record={
                "deployment_id": str(row.id),
                "clock": clock,
                "at": at.isoformat(),
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            },
        )
    await notify.deployment_changed(ctx, deployment_id)


async def stale(
    ctx: TradingContext,
    deployment_id: uuid.UUID,
    newest: datetime | None,
    age_s: float,
    *,
    why: str | None = None,
) -> None:
    """Stale data halts the signal step (no decision on old bars); one open exception at most."""
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(DeploymentRow, deployment_id)
        if row is None:
            return
        open_ = await session.scalar(
            select(ExceptionRow.id).where(
                ExceptionRow.deployment_id == deployment_id,
                ExceptionRow.kind == "stale_data",
                ExceptionRow.status == "open",
            )
        )
        if open_ is None:
            session.add(
                ExceptionRow(
                    account_id=row.account_id,
                    deployment_id=row.id,
                    kind="stale_data",
                    severity="warning",
                    detail=(
                        (
                            f"newest bar is {newest.isoformat()} ({age_s / 3600:.1f} h old)"
                            if newest is not None
                            else f"market data returned no recent bars ({why or 'empty'})"
                        )
                        + "; the signal step is halted until fresh data arrive"
                    ),
                    data={
                        "newest": newest.isoformat() if newest is not None else None,
                        "checked_at": datetime.now(UTC).isoformat(),
                    },
                )
            )
            await audit.append(
                session,
                row.account_id,
                actor="runner",
                kind="signal.stale",
                record={
                    "deployment_id": str(row.id),
                    "newest": newest.isoformat() if newest is not None else None,
                },
            )
