"""HTTP layer of the deployments domain (internal: service token + X-User-Id)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query

from vt_contracts import Problem
from vt_contracts.trading import (
    Deployment,
    DeploymentCreate,
    Fill,
    Order,
    PnL,
    Position,
    ReasonBody,
    TargetSnapshot,
)
from vt_kit import SessionDep
from vt_trading.context import TradingContext
from vt_trading.deployments import service
from vt_trading.deps import INTERNAL, CtxDep, UserId
from vt_trading.execution.service import fill_contract, order_contract
from vt_trading.pagination import Page
from vt_trading.trading import equity as equity_mod
from vt_trading.trading.flatten import settle_ended_scopes
from vt_trading.trading.service import position_contract

router = APIRouter(prefix="/deployments", tags=["deployments"], dependencies=INTERNAL)
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=512)]
Sort = Annotated[str | None, Query(max_length=64)]

_PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such deployment (or strategy/run/account) of yours"},
    409: {"model": Problem, "description": "Not possible in the current state"},
    422: {"model": Problem, "description": "Refused: ineligible, capital, credentials, input"},
}


def _publish(ctx: TradingContext, tasks: BackgroundTasks, user: str, body: Deployment) -> None:
    # after the response, i.e. after the commit: a client acting on the event sees the row
    tasks.add_task(ctx.events.publish, user, "deployment", body.model_dump(mode="json"))


@router.post("", status_code=201, response_model=Deployment, summary="Deploy", responses=_PROBLEMS)
async def create_deployment(
    body: DeploymentCreate,
    session: SessionDep,
    ctx: CtxDep,
    user_id: UserId,
    tasks: BackgroundTasks,
) -> Deployment:
    row = await service.create_deployment(session, ctx, user_id, body)
    out = await service.to_contract(session, row)
    _publish(ctx, tasks, str(user_id), out)
    tasks.add_task(_wake, ctx)
    return out


async def _wake(ctx: TradingContext) -> None:
    runner = getattr(ctx, "runner", None)
    if runner is not None:
        runner.wake.set()


@router.get("", response_model=Page[Deployment], summary="Your deployments")
async def list_deployments(
    session: SessionDep,
    user_id: UserId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    sort: Sort = None,
) -> Page[Deployment]:
    rows, nxt = await service.list_deployments(
        session, user_id, limit=limit, cursor=cursor, sort=sort
    )
    return Page[Deployment](
        items=[await service.to_contract(session, r) for r in rows], next_cursor=nxt
    )


@router.get("/{deployment_id}", response_model=Deployment, responses=_PROBLEMS)
async def get_deployment(deployment_id: str, session: SessionDep, user_id: UserId) -> Deployment:
    row = await service.get_deployment(session, user_id, deployment_id)
    return await service.to_contract(session, row)


@router.post("/{deployment_id}/{action}", response_model=Deployment, responses=_PROBLEMS)
async def lifecycle(
    deployment_id: str,
    action: Literal["pause", "resume", "stop"],
    session: SessionDep,
    ctx: CtxDep,
    user_id: UserId,
    tasks: BackgroundTasks,
) -> Deployment:
    row = await service.transition(session, user_id, deployment_id, action)
    out = await service.to_contract(session, row)
    _publish(ctx, tasks, str(user_id), out)
    if action in ("stop", "pause"):
        # after the commit: a kill's flatten resting on this deployment gets no further bar
        tasks.add_task(settle_ended_scopes, ctx, row.account_id)
    return out


@router.get("/{deployment_id}/targets", response_model=Page[TargetSnapshot], responses=_PROBLEMS)
async def list_targets(
    deployment_id: str,
    session: SessionDep,
    user_id: UserId,
    limit: Limit = 50,
    cursor: Cursor = None,
    sort: Sort = None,
) -> Page[TargetSnapshot]:
    dep = await service.get_deployment(session, user_id, deployment_id)
    rows, nxt = await service.list_targets(session, dep, limit=limit, cursor=cursor, sort=sort)
    return Page[TargetSnapshot](items=[service.target_contract(r) for r in rows], next_cursor=nxt)


@router.get("/{deployment_id}/orders", response_model=Page[Order], responses=_PROBLEMS)
async def list_orders(
    deployment_id: str,
    session: SessionDep,
    user_id: UserId,
    limit: Limit = 50,
    cursor: Cursor = None,
    sort: Sort = None,
) -> Page[Order]:
    dep = await service.get_deployment(session, user_id, deployment_id)
    rows, nxt = await service.list_orders(session, dep, limit=limit, cursor=cursor, sort=sort)
    return Page[Order](items=[order_contract(r) for r in rows], next_cursor=nxt)


@router.get("/{deployment_id}/fills", response_model=Page[Fill], responses=_PROBLEMS)
async def list_fills(
    deployment_id: str,
    session: SessionDep,
    user_id: UserId,
    limit: Limit = 50,
    cursor: Cursor = None,
    sort: Sort = None,
) -> Page[Fill]:
    dep = await service.get_deployment(session, user_id, deployment_id)
    rows, nxt = await service.list_fills(session, dep, limit=limit, cursor=cursor, sort=sort)
    return Page[Fill](items=[fill_contract(r) for r in rows], next_cursor=nxt)


@router.get("/{deployment_id}/positions", response_model=list[Position], responses=_PROBLEMS)
async def list_positions(
    deployment_id: str, session: SessionDep, user_id: UserId
) -> list[Position]:
    dep = await service.get_deployment(session, user_id, deployment_id)
    rows = await equity_mod.positions_of(session, dep.account_id, dep.id)
    return [position_contract(r) for r in rows]


@router.get("/{deployment_id}/pnl", response_model=PnL, responses=_PROBLEMS)
async def get_pnl(deployment_id: str, session: SessionDep, user_id: UserId) -> PnL:
    dep = await service.get_deployment(session, user_id, deployment_id)
    return await service.pnl(session, dep)


@router.post(
    "/{deployment_id}/targets/{target_id}/{action}",
    response_model=TargetSnapshot,
    responses=_PROBLEMS,
)
async def review_target(
    deployment_id: str,
    target_id: str,
    action: Literal["approve", "reject"],
    body: ReasonBody,
    session: SessionDep,
    ctx: CtxDep,
    user_id: UserId,
    tasks: BackgroundTasks,
) -> TargetSnapshot:
    dep = await service.get_deployment(session, user_id, deployment_id)
    row = await service.review_target(session, user_id, dep, target_id, action, body.reason)
    out = service.target_contract(row)
    tasks.add_task(ctx.events.publish, str(user_id), "target", out.model_dump(mode="json"))
    return out
