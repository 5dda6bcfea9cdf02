"""HTTP layer of the trading domain: account-level positions, risk, kill switch, exceptions,
reconciliation, manual tools and the audit log (internal: service token + X-User-Id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts import Problem
from vt_contracts.trading import (
    AuditEntry,
    AuditPage,
    CloseBreak,
    KillResult,
    ManualTrade,
    Position,
    ReasonBody,
    Reattribute,
    ReconcileReport,
    RiskState,
    TradingException,
)
from vt_db.trading_models import BrokerAccountRow
from vt_kit import SessionDep
from vt_kit.problems import NotFound
from vt_trading import notify
from vt_trading.accounts import service as accounts
from vt_trading.deps import INTERNAL, CtxDep, UserId
from vt_trading.overrides import service as overrides
from vt_trading.pagination import Page
from vt_trading.trading import reconcile, service

router = APIRouter(prefix="/trading", tags=["trading"], dependencies=INTERNAL)
_PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such account / object of yours"},
    409: {"model": Problem, "description": "Not possible in the current state"},
    422: {"model": Problem, "description": "Invalid input"},
}
AccountQ = Annotated[str | None, Query(max_length=64)]


async def _deployment_id(
    session: SessionDep, user_id: uuid.UUID, value: str | None
) -> uuid.UUID | None:
    if value is None:
        return None
    from vt_trading.deployments import service as deployments

    return (await deployments.get_deployment(session, user_id, value)).id


async def _risk(session: AsyncSession, account: BrokerAccountRow) -> RiskState:
    """The risk state with the overrides and allow-list the gate applies."""
    state = await service.risk_state(session, account)
    return state.model_copy(
        update={"overrides": await overrides.account_overrides(session, account)}
    )


@router.get("/positions", response_model=list[Position], responses=_PROBLEMS)
async def positions(
    session: SessionDep, ctx: CtxDep, user_id: UserId, account_id: AccountQ = None
) -> list[Position]:
    """Account-level positions: per deployment (attributed) and the unattributed bucket."""
    account = await accounts.resolve_account(session, ctx, user_id, account_id)
    return [service.position_contract(r) for r in await service.account_positions(session, account)]


@router.get("/risk", response_model=RiskState, responses=_PROBLEMS)
async def risk(
    session: SessionDep, ctx: CtxDep, user_id: UserId, account_id: AccountQ = None
) -> RiskState:
    account = await accounts.resolve_account(session, ctx, user_id, account_id)
    return await _risk(session, account)


@router.post("/kill", response_model=KillResult, responses=_PROBLEMS)
async def kill(body: ReasonBody, session: SessionDep, ctx: CtxDep, user_id: UserId) -> KillResult:
    """Cancel every working order, flatten every attributed position (reduce-only), hold killed."""
    account = await accounts.resolve_account(session, ctx, user_id, body.account_id)
    await session.commit()
    flatten = await service.kill(ctx, user_id, account, body.reason)
    return KillResult(account_id=str(account.id), state="killed", flatten_orders=flatten)


@router.post("/rearm", response_model=RiskState, responses=_PROBLEMS)
async def rearm(body: ReasonBody, session: SessionDep, ctx: CtxDep, user_id: UserId) -> RiskState:
    account = await accounts.resolve_account(session, ctx, user_id, body.account_id)
    await session.commit()
    await service.rearm(ctx, user_id, account, body.reason)
    return await _risk(session, account)


@router.post("/reconcile", response_model=ReconcileReport, responses=_PROBLEMS)
async def run_reconcile(
    body: ReasonBody, session: SessionDep, ctx: CtxDep, user_id: UserId
) -> ReconcileReport:
    account = await accounts.resolve_account(session, ctx, user_id, body.account_id)
    await session.commit()
    report = await reconcile.reconcile_account(
        ctx, account.id, actor=str(user_id), reason=body.reason
    )
    if report.halted:
        await notify.risk_changed(ctx, account.id, "halted")
    return report


@router.get("/exceptions", response_model=Page[TradingException], responses=_PROBLEMS)
async def list_exceptions(
    session: SessionDep,
    user_id: UserId,
    account_id: AccountQ = None,
    status: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    sort: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[TradingException]:
    aid = None
    if account_id is not None:
        aid = (await accounts.get_account(session, user_id, account_id)).id
    rows, nxt = await service.list_exceptions(
        session, user_id, account_id=aid, status=status, limit=limit, cursor=cursor, sort=sort
    )
    return Page[TradingException](
        items=[service.exception_contract(r) for r in rows], next_cursor=nxt
    )


@router.post(
    "/exceptions/{exception_id}/{action}", response_model=TradingException, responses=_PROBLEMS
)
async def update_exception(
    exception_id: str,
    action: Literal["acknowledge", "resolve"],
    body: ReasonBody,
    session: SessionDep,
    user_id: UserId,
) -> TradingException:
    row = await service.update_exception(session, user_id, exception_id, action, body.reason)
    return service.exception_contract(row)


@router.post("/manual/trade", response_model=Position, responses=_PROBLEMS)
async def manual_trade(
    body: ManualTrade, session: SessionDep, ctx: CtxDep, user_id: UserId
) -> Position:
    account = await accounts.resolve_account(session, ctx, user_id, body.account_id)
    pos = await service.manual_trade(
        session,
        user_id,
        account,
        deployment_id=await _deployment_id(session, user_id, body.deployment_id),
        symbol=body.symbol,
        side=body.side,
        qty=body.qty,
        price=body.price,
        fees=body.fees,
        ts=body.ts or datetime.now(UTC),
        reason=body.reason,
    )
    return service.position_contract(pos)


@router.post("/manual/reattribute", response_model=Position, responses=_PROBLEMS)
async def manual_reattribute(
    body: Reattribute, session: SessionDep, ctx: CtxDep, user_id: UserId
) -> Position:
    account = await accounts.resolve_account(session, ctx, user_id, body.account_id)
    pos = await service.reattribute(
        session,
        user_id,
        account,
        symbol=body.symbol,
        qty=body.qty,
        from_deployment=await _deployment_id(session, user_id, body.from_deployment_id),
        to_deployment=await _deployment_id(session, user_id, body.to_deployment_id),
        reason=body.reason,
    )
    return service.position_contract(pos)


@router.post("/manual/close-break", response_model=TradingException, responses=_PROBLEMS)
async def manual_close_break(
    body: CloseBreak, session: SessionDep, ctx: CtxDep, user_id: UserId
) -> TradingException:
    account = await accounts.resolve_account(session, ctx, user_id, body.account_id)
    row = await service.close_break(
        session, user_id, account, exception_id=body.exception_id, reason=body.reason
    )
    return service.exception_contract(row)


@router.get("/audit", response_model=AuditPage, responses=_PROBLEMS)
async def audit_log(
    session: SessionDep,
    ctx: CtxDep,
    user_id: UserId,
    account_id: AccountQ = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    account = await accounts.resolve_account(session, ctx, user_id, account_id)
    rows, nxt, verified = await service.audit_page(session, account, limit=limit, cursor=cursor)
    if rows is None:
        raise NotFound("no audit log")
    return AuditPage(
        items=[
            AuditEntry(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                kind=r.kind,
                record=r.record,
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ],
        next_cursor=nxt,
        verified=verified,
    )
