"""/api/v1/strategies and /api/v1/conversations, served by the strategy-ai-worker."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from vt_gateway.deps import CurrentUser, UpstreamsDep
from vt_gateway.errors import UPSTREAM, authed
from vt_gateway.pagination import PageDep
from vt_gateway.proxy import relay
from vt_gateway.strategies.schemas import (
    ConversationRead,
    StrategyPage,
    StrategyRead,
    StrategyUpdate,
    StrategyVersionPage,
    StrategyVersionRead,
)

router = APIRouter(tags=["strategies"])
StrategyId = Annotated[uuid.UUID, Path(description="Strategy id.")]


@router.get(
    "/strategies",
    response_model=StrategyPage,
    summary="Your strategies",
    responses=authed(400, *UPSTREAM),
)
async def list_strategies(principal: CurrentUser, up: UpstreamsDep, page: PageDep) -> Response:
    """Newest first by default; paginate with `cursor`."""
    reply = await up.strategy_ai.request(
        "GET", "/strategies", user_id=principal.user_id, params=page.as_query()
    )
    return relay(reply)


@router.get(
    "/strategies/{strategy_id}",
    response_model=StrategyRead,
    summary="One strategy",
    responses=authed(404, *UPSTREAM),
)
async def get_strategy(
    strategy_id: StrategyId, principal: CurrentUser, up: UpstreamsDep
) -> Response:
    reply = await up.strategy_ai.request(
        "GET", f"/strategies/{strategy_id}", user_id=principal.user_id
    )
    return relay(reply)


@router.put(
    "/strategies/{strategy_id}",
    response_model=StrategyRead,
    summary="Save an edited spec as a new version",
    responses=authed(404, *UPSTREAM),
)
async def update_strategy(
    strategy_id: StrategyId, body: StrategyUpdate, principal: CurrentUser, up: UpstreamsDep
) -> Response:
    reply = await up.strategy_ai.request(
        "PUT",
        f"/strategies/{strategy_id}",
        user_id=principal.user_id,
        json=body.model_dump(mode="json", exclude_none=True),
    )
    return relay(reply)


@router.delete(
    "/strategies/{strategy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a strategy",
    responses=authed(404, *UPSTREAM),
)
async def delete_strategy(
    strategy_id: StrategyId, principal: CurrentUser, up: UpstreamsDep
) -> Response:
    await up.strategy_ai.request("DELETE", f"/strategies/{strategy_id}", user_id=principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/strategies/{strategy_id}/versions",
    response_model=StrategyVersionPage,
    summary="Version history",
    responses=authed(400, 404, *UPSTREAM),
)
async def list_versions(
    strategy_id: StrategyId, principal: CurrentUser, up: UpstreamsDep, page: PageDep
) -> Response:
    reply = await up.strategy_ai.request(
        "GET",
        f"/strategies/{strategy_id}/versions",
        user_id=principal.user_id,
        params=page.as_query(),
    )
    return relay(reply)


@router.get(
    "/strategies/{strategy_id}/versions/{version}",
    response_model=StrategyVersionRead,
    summary="One version",
    responses=authed(404, *UPSTREAM),
)
async def get_version(
    strategy_id: StrategyId,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    principal: CurrentUser,
    up: UpstreamsDep,
) -> Response:
    reply = await up.strategy_ai.request(
        "GET", f"/strategies/{strategy_id}/versions/{version}", user_id=principal.user_id
    )
    return relay(reply)


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationRead,
    summary="A chat conversation",
    tags=["chat"],
    responses=authed(404, *UPSTREAM),
)
async def get_conversation(
    conversation_id: Annotated[uuid.UUID, Path()], principal: CurrentUser, up: UpstreamsDep
) -> Response:
    reply = await up.strategy_ai.request(
        "GET", f"/conversations/{conversation_id}", user_id=principal.user_id
    )
    return relay(reply)
