"""Overrides and the allow-list: read, replace (audited with user and reason) and hand to the
pre-order risk gate (`gate_inputs`). The gate itself stays a pure function of its context."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.trading import (
    DeploymentOverride,
    DeploymentOverrideUpdate,
    OverrideMode,
    RiskOverride,
    RiskOverrides,
    RiskOverridesUpdate,
)
from vt_db.trading_models import (
    AllowListRow,
    BrokerAccountRow,
    DeploymentRow,
    RiskOverrideRow,
)
from vt_trading import audit
from vt_trading.overrides import repository as repo
from vt_trading.risk import gate

ACCOUNT_LEVELS = ("account", "instrument")
"""The levels `PUT /accounts/{id}/overrides` replaces; deployment overrides have their own."""


def _item(row: RiskOverrideRow) -> RiskOverride:
    return RiskOverride(
        level=row.level,  # type: ignore[arg-type]
        target=row.target or None,
        mode=row.mode,  # type: ignore[arg-type]
        reason=row.reason,
        set_by=row.set_by,
        set_at=row.set_at,
    )


async def account_overrides(session: AsyncSession, account: BrokerAccountRow) -> RiskOverrides:
    rows = await repo.overrides_of(session, account.id)
    allowed = await repo.allow_list(session, account.id)
    return RiskOverrides(
        account_id=str(account.id),
        account=next((r.mode for r in rows if r.level == "account"), None),  # type: ignore[arg-type]
        instruments={r.target: r.mode for r in rows if r.level == "instrument"},  # type: ignore[misc]
        deployments={r.target: r.mode for r in rows if r.level == "deployment"},  # type: ignore[misc]
        allow_list=list(allowed.symbols) if allowed is not None else None,
        items=[_item(r) for r in rows],
    )


def _wanted(body: RiskOverridesUpdate) -> dict[tuple[str, str], OverrideMode]:
    wanted: dict[tuple[str, str], OverrideMode] = {
        ("instrument", sym): mode for sym, mode in body.instruments.items()
    }
    if body.account is not None:
        wanted[("account", "")] = body.account
    return wanted


async def set_account_overrides(
    session: AsyncSession, user_id: uuid.UUID, account: BrokerAccountRow, body: RiskOverridesUpdate
) -> RiskOverrides:
    """Replace the account-level and per-instrument overrides and the allow-list. Unchanged
    overrides keep who set them and why; changed ones take this call's user and reason."""
    before = await account_overrides(session, account)
    wanted = _wanted(body)
    for row in await repo.overrides_of(session, account.id, levels=ACCOUNT_LEVELS):
        mode = wanted.pop((row.level, row.target), None)
        if mode is None:
            await repo.delete(session, row)
        elif mode != row.mode:
            row.mode, row.reason, row.set_by = mode, body.reason, str(user_id)
            row.set_at = datetime.now(UTC)
    for (level, target), mode in wanted.items():
        repo.add(
            session,
            RiskOverrideRow(
                account_id=account.id,
                level=level,
                target=target,
                mode=mode,
                reason=body.reason,
                set_by=str(user_id),
                set_at=datetime.now(UTC),
            ),
        )
    allowed = await repo.allow_list(session, account.id)
    if body.allow_list is None:
        if allowed is not None:
            await repo.delete(session, allowed)
    else:
        symbols = sorted(set(body.allow_list))
        if allowed is None:
            repo.add(
                session,
                AllowListRow(
                    account_id=account.id, symbols=symbols, reason=body.reason, set_by=str(user_id)
                ),
            )
        elif allowed.symbols != symbols:
            allowed.symbols, allowed.reason, allowed.set_by = symbols, body.reason, str(user_id)
    await session.flush()
    after = await account_overrides(session, account)
    await audit.append(
        session,
        account.id,
        actor=str(user_id),
        kind="risk.overrides",
        record={
            "reason": body.reason,
            "before": _summary(before),
            "after": _summary(after),
        },
    )
    return after


def _summary(o: RiskOverrides) -> dict[str, Any]:
    return {"account": o.account, "instruments": o.instruments, "allow_list": o.allow_list}


def deployment_contract(dep: DeploymentRow, row: RiskOverrideRow | None) -> DeploymentOverride:
    return DeploymentOverride(
        deployment_id=str(dep.id),
        account_id=str(dep.account_id),
        mode=row.mode if row is not None else None,  # type: ignore[arg-type]
        reason=row.reason if row is not None else None,
        set_by=row.set_by if row is not None else None,
        set_at=row.set_at if row is not None else None,
    )


async def deployment_override(session: AsyncSession, dep: DeploymentRow) -> DeploymentOverride:
    return deployment_contract(dep, await repo.deployment_override(session, dep.account_id, dep.id))


async def set_deployment_override(
    session: AsyncSession, user_id: uuid.UUID, dep: DeploymentRow, body: DeploymentOverrideUpdate
) -> DeploymentOverride:
    row = await repo.deployment_override(session, dep.account_id, dep.id)
    before = row.mode if row is not None else None
    if body.mode is None:
        if row is not None:
            await repo.delete(session, row)
            row = None
    elif row is None:
        row = RiskOverrideRow(
            account_id=dep.account_id,
            deployment_id=dep.id,
            level="deployment",
            target=str(dep.id),
            mode=body.mode,
            reason=body.reason,
            set_by=str(user_id),
            set_at=datetime.now(UTC),
        )
        repo.add(session, row)
    elif row.mode != body.mode:
        row.mode, row.reason, row.set_by = body.mode, body.reason, str(user_id)
        row.set_at = datetime.now(UTC)
    await session.flush()
    await audit.append(
        session,
        dep.account_id,
        actor=str(user_id),
        kind="risk.overrides",
        record={
            "reason": body.reason,
            "deployment_id": str(dep.id),
            "before": before,
            "after": body.mode,
        },
    )
    return deployment_contract(dep, row)


async def gate_inputs(
    session: AsyncSession, account_id: uuid.UUID
) -> tuple[list[gate.Override], frozenset[str] | None]:
    """The gate's `overrides` and `allow_list` for an account, from its rows."""
    rows = await repo.overrides_of(session, account_id)
    allowed = await repo.allow_list(session, account_id)
    return (
        [
            gate.Override(mode=r.mode, level=r.level, target=r.target or None)  # type: ignore[arg-type]
            for r in rows
        ],
        frozenset(allowed.symbols) if allowed is not None else None,
    )


def event(overrides: RiskOverrides | DeploymentOverride) -> Mapping[str, Any]:
    """The `risk` live-update event of a change (the same object the route answers)."""
    data: dict[str, Any] = {"kind": "overrides", **overrides.model_dump(mode="json")}
    return data
