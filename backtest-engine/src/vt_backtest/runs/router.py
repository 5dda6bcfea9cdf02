"""HTTP layer of the runs domain (internal: service token + X-User-Id)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from vt_backtest.runs import service
from vt_backtest.runs.schemas import CreateRun, RunCreated, RunPage
from vt_backtest.settings import Settings
from vt_contracts import BacktestRun, Problem
from vt_kit import InternalAuth, RedisDep, SessionDep
from vt_kit.problems import BadRequest

router = APIRouter(tags=["runs"], dependencies=[InternalAuth])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "Missing or malformed X-User-Id"},
    401: {"model": Problem, "description": "Missing or wrong internal token"},
    422: {"model": Problem, "description": "Invalid request"},
}


def acting_user(
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> uuid.UUID:
    if not x_user_id:
        raise BadRequest("X-User-Id is required: runs always belong to a user.")
    try:
        return uuid.UUID(x_user_id)
    except ValueError:
        raise BadRequest("X-User-Id must be a UUID.") from None


@router.post(
    "/runs",
    status_code=202,
    response_model=RunCreated,
    summary="Queue a backtest run",
    responses={
        **_PROBLEMS,
        429: {"model": Problem, "description": "Too many of the user's runs queued or running"},
        503: {"model": Problem, "description": "Job queue unavailable"},
    },
)
async def create_run(
    body: CreateRun,
    request: Request,
    session: SessionDep,
    redis: RedisDep,
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> RunCreated:
    user_id = acting_user(x_user_id)
    settings: Settings = request.app.state.settings
    return await service.create_run(session, redis, settings, user_id, body)


@router.get(
    "/runs/{run_id}",
    response_model=BacktestRun,
    summary="A run with its result (succeeded) or error problem (failed)",
    responses={**_PROBLEMS, 404: {"model": Problem, "description": "No such run for this user"}},
)
async def get_run(
    run_id: uuid.UUID,
    session: SessionDep,
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> JSONResponse:
    body = await service.get_run(session, acting_user(x_user_id), run_id)
    return JSONResponse(body)


@router.post(
    "/runs/{run_id}/cancel",
    response_model=BacktestRun,
    summary="Cancel a queued or running run",
    responses={
        **_PROBLEMS,
        404: {"model": Problem, "description": "No such run for this user"},
        409: {"model": Problem, "description": "The run already finished"},
    },
)
async def cancel_run(
    run_id: uuid.UUID,
    session: SessionDep,
    redis: RedisDep,
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> JSONResponse:
    body = await service.cancel_run(session, redis, acting_user(x_user_id), run_id)
    return JSONResponse(body)


@router.get(
    "/runs", response_model=RunPage, summary="The user's runs, newest first", responses=_PROBLEMS
)
async def list_runs(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    sort: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[
        Literal["queued", "running", "succeeded", "failed", "cancelled"] | None, Query()
    ] = None,
    strategy_id: Annotated[uuid.UUID | None, Query()] = None,
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> RunPage:
    return await service.list_runs(
        session,
        acting_user(x_user_id),
        limit=limit,
        cursor=cursor,
        sort=sort,
        status=status,
        strategy_id=strategy_id,
    )
