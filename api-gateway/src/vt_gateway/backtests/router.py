"""/api/v1/backtest: submit runs, read status and results, list them (backtest-engine)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from vt_contracts import BacktestRun
from vt_gateway.backtests import service
from vt_gateway.backtests.schemas import BacktestCreate, BacktestCreated, BacktestPage
from vt_gateway.deps import CurrentUser, UpstreamsDep
from vt_gateway.errors import UPSTREAM, authed
from vt_gateway.pagination import PageDep
from vt_gateway.proxy import relay

router = APIRouter(tags=["backtests"])
RunId = Annotated[uuid.UUID, Path(description="Run id from POST /backtest/run.")]


@router.post(
    "/backtest/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BacktestCreated,
    summary="Start a backtest",
    responses=authed(404, *UPSTREAM),
)
async def run_backtest(
    body: BacktestCreate, principal: CurrentUser, up: UpstreamsDep
) -> BacktestCreated:
    """Queue a backtest of a saved strategy, an inline spec or custom code. Answers 202 with the
    run id; follow it with `GET /backtest/{id}`, `GET /backtest/{id}/events` (SSE) or the
    `/ws/backtests` WebSocket."""
    return BacktestCreated(id=await service.submit(up, principal.user_id, body))


@router.get(
    "/backtest/{run_id}",
    response_model=BacktestRun,
    summary="Status, progress and results of a run",
    responses=authed(404, *UPSTREAM),
)
async def get_backtest(
    run_id: RunId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    """`status` is queued, running, succeeded or failed; `result` (summary_stats, equity curve,
    trades, provenance, ...) when succeeded; `error` (a problem) when failed."""
    content = await service.get_run(up, request.app.state.run_cache, principal.user_id, str(run_id))
    return Response(content=content, media_type="application/json")


@router.post(
    "/backtest/{run_id}/cancel",
    response_model=BacktestRun,
    summary="Cancel a queued or running run",
    responses=authed(404, 409, *UPSTREAM),
)
async def cancel_backtest(run_id: RunId, principal: CurrentUser, up: UpstreamsDep) -> Response:
    """A queued run is never started; a running one stops at its next progress step and frees
    its worker. The run ends as `cancelled` (its `error` says so) and keeps no result. A run
    that already finished answers 409."""
    reply = await up.backtest.request("POST", f"/runs/{run_id}/cancel", user_id=principal.user_id)
    return relay(reply)


@router.get(
    "/backtests",
    response_model=BacktestPage,
    summary="Your backtest runs",
    responses=authed(400, *UPSTREAM),
)
async def list_backtests(principal: CurrentUser, up: UpstreamsDep, page: PageDep) -> Response:
    reply = await up.backtest.request(
        "GET", "/runs", user_id=principal.user_id, params=page.as_query()
    )
    return relay(reply)
