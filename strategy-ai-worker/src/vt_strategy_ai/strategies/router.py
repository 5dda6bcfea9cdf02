"""GET/PUT/DELETE /strategies/{id}, GET /strategies, versions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from vt_kit import SessionDep
from vt_strategy_ai.deps import INTERNAL, ClientsDep, SettingsDep, UserId
from vt_strategy_ai.schemas import (
    Page,
    StrategyRead,
    StrategySaved,
    StrategySummary,
    StrategyUpdate,
    VersionRead,
)
from vt_strategy_ai.strategies import service

router = APIRouter(prefix="/strategies", tags=["strategies"], dependencies=INTERNAL)

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100).")]


@router.get("", response_model=Page[StrategySummary], summary="The user's strategies")
async def list_strategies(
    session: SessionDep,
    user_id: UserId,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    sort: Annotated[str, Query(max_length=20)] = "-created_at",
    name: Annotated[
        str | None, Query(max_length=200, description="Name contains (case-insensitive).")
    ] = None,
) -> Page[StrategySummary]:
    return await service.list_strategies(
        session, user_id, limit=limit, cursor=cursor, sort=sort, name=name
    )


@router.get("/{strategy_id}", response_model=StrategyRead, summary="A strategy (current version)")
async def get_strategy(
    strategy_id: uuid.UUID, session: SessionDep, user_id: UserId
) -> StrategyRead:
    return await service.read_strategy(session, user_id, strategy_id)


@router.put(
    "/{strategy_id}",
    response_model=StrategySaved,
    summary="Save an edited spec as a new version",
)
async def put_strategy(
    strategy_id: uuid.UUID,
    body: StrategyUpdate,
    session: SessionDep,
    user_id: UserId,
    clients: ClientsDep,
    settings: SettingsDep,
) -> StrategySaved:
    return await service.update_strategy(
        session,
        user_id,
        strategy_id,
        body.spec,
        body.name,
        clients=clients,
        frequency=settings.signal_frequency,
        check_symbols=settings.check_symbols,
    )


@router.delete("/{strategy_id}", status_code=204, summary="Soft-delete a strategy")
async def delete_strategy(strategy_id: uuid.UUID, session: SessionDep, user_id: UserId) -> Response:
    await service.delete_strategy(session, user_id, strategy_id)
    return Response(status_code=204)


@router.get(
    "/{strategy_id}/versions",
    response_model=Page[VersionRead],
    summary="Version history, newest first",
)
async def list_versions(
    strategy_id: uuid.UUID,
    session: SessionDep,
    user_id: UserId,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[VersionRead]:
    return await service.list_versions(session, user_id, strategy_id, limit=limit, cursor=cursor)


@router.get("/{strategy_id}/versions/{number}", response_model=VersionRead, summary="One version")
async def get_version(
    strategy_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    session: SessionDep,
    user_id: UserId,
) -> VersionRead:
    return await service.read_version(session, user_id, strategy_id, number)
