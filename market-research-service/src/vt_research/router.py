"""HTTP routes: `GET /insight`, `GET /insight/history` (internal; service token required)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from vt_contracts import Insight
from vt_kit import InternalAuth, SessionDep, Unprocessable
from vt_research import repository
from vt_research.schemas import SYMBOL_PATTERN, InsightPage
from vt_research.service import InsightService, asset_class
from vt_research.settings import Settings

router = APIRouter(tags=["insight"], dependencies=[InternalAuth])

Symbol = Annotated[
    str,
    Query(
        pattern=SYMBOL_PATTERN,
        description="A symbol market-data knows (e.g. SPY, SAMPLE:AAPL, BTC/USDT) or `market:<name>`.",
        examples=["SAMPLE:AAPL", "market:us"],
    ),
]


def _service(request: Request) -> InsightService:
    service: InsightService = request.app.state.research
    return service


def _normalise_as_of(as_of: datetime | None) -> datetime | None:
    if as_of is None:
        return None
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    as_of = as_of.astimezone(UTC)
    if as_of > datetime.now(UTC) + timedelta(minutes=5):
        raise Unprocessable(
            f"as_of {as_of.isoformat()} is in the future; insights describe the past. Omit it for now.",
        )
    return as_of


@router.get(
    "/insight",
    response_model=Insight,
    summary="Latest insight for a symbol or market (computed on demand when none is fresh)",
)
async def get_insight(
    request: Request,
    session: SessionDep,
    symbol: Symbol,
    as_of: Annotated[
        datetime | None,
        Query(description="Compute as of this date/time (UTC when no offset); default: now."),
    ] = None,
    refresh: Annotated[
        bool, Query(description="Compute now even if a fresh journaled insight exists.")
    ] = False,
) -> Insight:
    service = _service(request)
    settings: Settings = request.app.state.settings
    when = _normalise_as_of(as_of)
    if when is None and not refresh:
        max_age = settings.refresh_for(asset_class(symbol))
        row = await repository.latest(
            session, symbol, datetime.now(UTC) - timedelta(seconds=max_age)
        )
        if row is not None:
            return Insight.model_validate(row.insight)
    computed = await service.compute(symbol, when)
    await repository.journal(session, computed.insight, computed.scope)
    return computed.insight


@router.get(
    "/insight/history",
    response_model=InsightPage,
    summary="Journaled insights, newest first",
)
async def get_history(
    session: SessionDep,
    symbol: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None,
    scope: Literal["symbol", "market"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    sort: Literal["-created_at", "created_at", "-as_of", "as_of"] = "-created_at",
) -> InsightPage:
    rows, next_cursor = await repository.history(
        session, symbol=symbol, scope=scope, limit=limit, cursor=cursor, sort=sort
    )
    return InsightPage(
        items=[Insight.model_validate(r.insight) for r in rows], next_cursor=next_cursor
    )
