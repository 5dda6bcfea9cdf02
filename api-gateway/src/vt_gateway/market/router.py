"""/api/v1/market: OHLCV data, symbol search, uploads (market-data-service) and insights
(market-research-service)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from vt_contracts import Insight, OHLCVFrame, Timeframe
from vt_contracts.ohlcv import Provider
from vt_gateway.deps import CurrentUser, UpstreamsDep
from vt_gateway.errors import UPSTREAM, authed
from vt_gateway.market.schemas import DatasetPage, DatasetSummary, SymbolMatch
from vt_gateway.proxy import relay
from vt_kit import Unprocessable

router = APIRouter(prefix="/market", tags=["market"])

SYMBOL_PATTERN = r"^[A-Za-z0-9^][A-Za-z0-9.^/:=_-]*$"
SymbolQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=40,
        pattern=SYMBOL_PATTERN,
        description="e.g. SPY, BTC/USDT, SAMPLE:AAPL",
    ),
]


@router.get(
    "/data",
    response_model=OHLCVFrame,
    summary="OHLCV bars",
    responses=authed(404, *UPSTREAM),
)
async def market_data(
    symbol: SymbolQuery,
    principal: CurrentUser,
    up: UpstreamsDep,
    timeframe: Timeframe = "1d",
    start: Annotated[date | datetime | None, Query()] = None,
    end: Annotated[date | datetime | None, Query()] = None,
    adjust: bool = True,
    provider: Annotated[Provider | None, Query()] = None,
) -> Response:
    """Columnar UTC bars with a data-quality report. Your own uploaded data for the symbol and
    timeframe takes precedence (`provider: "upload"`)."""
    reply = await up.market_data.request(
        "GET",
        "/ohlcv",
        user_id=principal.user_id,
        params={
            "symbol": symbol,
            "timeframe": timeframe,
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "adjust": "true" if adjust else "false",
            "provider": provider,
        },
    )
    return relay(reply)


@router.get(
    "/symbols",
    response_model=list[SymbolMatch],
    summary="Search symbols",
    responses=authed(*UPSTREAM),
)
async def search_symbols(
    q: Annotated[str, Query(min_length=1, max_length=64, description="Ticker or name fragment.")],
    principal: CurrentUser,
    up: UpstreamsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    reply = await up.market_data.request(
        "GET", "/symbols/search", user_id=principal.user_id, params={"q": q, "limit": limit}
    )
    return relay(reply)


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetSummary,
    summary="Upload your own OHLCV data",
    responses=authed(413, *UPSTREAM),
)
async def upload(
    file: Annotated[
        UploadFile,
        File(description="CSV or Parquet with timestamp, open, high, low, close, volume."),
    ],
    symbol: Annotated[str, Form(min_length=1, max_length=40, pattern=SYMBOL_PATTERN)],
    timeframe: Annotated[Timeframe, Form()],
    principal: CurrentUser,
    up: UpstreamsDep,
) -> Response:
    """Stored under `symbol` for you only and used by your backtests at once."""
    name = file.filename or "upload.csv"
    if not name.lower().endswith((".csv", ".parquet", ".pq")):
        raise Unprocessable("Upload a .csv or .parquet file.")
    content = await file.read()
    reply = await up.market_data.request(
        "POST",
        "/uploads",
        user_id=principal.user_id,
        files={"file": (name, content, file.content_type or "application/octet-stream")},
        data={"symbol": symbol, "timeframe": timeframe},
    )
    return relay(reply, status_code=201)


@router.get(
    "/uploads",
    response_model=DatasetPage,
    summary="Your uploaded datasets",
    responses=authed(*UPSTREAM),
)
async def list_uploads(principal: CurrentUser, up: UpstreamsDep) -> Response:
    reply = await up.market_data.request("GET", "/uploads", user_id=principal.user_id)
    return relay(reply)


@router.get(
    "/insight",
    response_model=Insight,
    summary="Market insight for a symbol",
    responses=authed(404, *UPSTREAM),
)
async def insight(symbol: SymbolQuery, principal: CurrentUser, up: UpstreamsDep) -> Response:
    """Regime, trend, volatility and sentiment, computed on demand when none is fresh."""
    reply = await up.research.request(
        "GET", "/insight", user_id=principal.user_id, params={"symbol": symbol}
    )
    return relay(reply)
