"""HTTP layer of the overrides domain (internal: service token + X-User-Id): per account
(account-level and per-instrument overrides, the allow-list) and per deployment."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from vt_contracts import Problem
from vt_contracts.trading import (
    DeploymentOverride,
    DeploymentOverrideUpdate,
    RiskOverrides,
    RiskOverridesUpdate,
)
from vt_kit import SessionDep
from vt_trading.accounts import service as accounts
from vt_trading.context import TradingContext
from vt_trading.deployments import service as deployments
from vt_trading.deps import INTERNAL, CtxDep, UserId
from vt_trading.overrides import service

router = APIRouter(tags=["risk overrides"], dependencies=INTERNAL)
_PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such account / deployment of yours"},
    422: {"model": Problem, "description": "Invalid input"},
}


def _publish(
    ctx: TradingContext,
    tasks: BackgroundTasks,
    user: str,
    out: RiskOverrides | DeploymentOverride,
) -> None:
    # after the response, i.e. after the commit
    tasks.add_task(ctx.events.publish, user, "risk", dict(service.event(out)))


@router.get("/accounts/{account_id}/overrides", response_model=RiskOverrides, responses=_PROBLEMS)
async def get_account_overrides(
    account_id: str, session: SessionDep, user_id: UserId
) -> RiskOverrides:
    account = await accounts.get_account(session, user_id, account_id)
    return await service.account_overrides(session, account)


@router.put("/accounts/{account_id}/overrides", response_model=RiskOverrides, responses=_PROBLEMS)
async def put_account_overrides(
    account_id: str,
    body: RiskOverridesUpdate,
    session: SessionDep,
    ctx: CtxDep,
    user_id: UserId,
    tasks: BackgroundTasks,
) -> RiskOverrides:
    account = await accounts.get_account(session, user_id, account_id)
    out = await service.set_account_overrides(session, user_id, account, body)
    _publish(ctx, tasks, str(user_id), out)
    return out


@router.get(
    "/deployments/{deployment_id}/overrides",
    response_model=DeploymentOverride,
    responses=_PROBLEMS,
)
async def get_deployment_override(
    deployment_id: str, session: SessionDep, user_id: UserId
) -> DeploymentOverride:
    dep = await deployments.get_deployment(session, user_id, deployment_id)
    return await service.deployment_override(session, dep)


@router.put(
    "/deployments/{deployment_id}/overrides",
    response_model=DeploymentOverride,
    responses=_PROBLEMS,
)
async def put_deployment_override(
    deployment_id: str,
    body: DeploymentOverrideUpdate,
    session: SessionDep,
    ctx: CtxDep,
    user_id: UserId,
    tasks: BackgroundTasks,
) -> DeploymentOverride:
    dep = await deployments.get_deployment(session, user_id, deployment_id)
    out = await service.set_deployment_override(session, user_id, dep, body)
    _publish(ctx, tasks, str(user_id), out)
    return out
