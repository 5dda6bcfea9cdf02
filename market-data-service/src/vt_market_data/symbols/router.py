"""GET /symbols/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from vt_kit import InternalAuth
from vt_market_data.symbols.registry import search

router = APIRouter(tags=["symbols"], dependencies=[InternalAuth])


class SymbolOut(BaseModel):
    symbol: str
    name: str
    market: str | None
    provider: str
    timezone: str


@router.get("/symbols/search", response_model=list[SymbolOut], summary="Find symbols")
async def symbols_search(
    q: Annotated[
        str, Query(max_length=64, description="ticker, name or alias, e.g. 'tencent', 'BTC'")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[SymbolOut]:
    return [SymbolOut.model_validate(i.as_dict()) for i in search(q, limit)]
