"""GET /ohlcv."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from vt_contracts.ohlcv import OHLCVFrame
from vt_contracts.problem import Problem
from vt_kit import InternalAuth, SessionDep
from vt_market_data.deps import MdDep, OptionalUser
from vt_market_data.ohlcv.schemas import OhlcvQuery
from vt_market_data.ohlcv.service import get_frame

router = APIRouter(tags=["ohlcv"], dependencies=[InternalAuth])


@router.get(
    "/ohlcv",
    summary="Normalised OHLCV for one symbol",
    response_model=OHLCVFrame,
    responses={
        404: {"model": Problem, "description": "unknown symbol"},
        422: {"model": Problem, "description": "bad range, timeframe or provider"},
        502: {"model": Problem, "description": "the provider failed (named in `service`)"},
        503: {"model": Problem, "description": "the provider is unreachable or paused"},
        504: {"model": Problem, "description": "the provider timed out"},
    },
)
async def ohlcv(
    md: MdDep,
    session: SessionDep,
    user_id: OptionalUser,
    symbol: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            description="e.g. AAPL, 0700.HK, ^VIX, BTC/USDT, SAMPLE:AAPL, DEMO:TREND",
        ),
    ],
    timeframe: Annotated[str, Query(description="1m, 5m, 15m, 30m, 1h, 4h, 1d or 1w")] = "1d",
    start: Annotated[
        str | None, Query(description="ISO date (exchange-local day) or date-time")
    ] = None,
    end: Annotated[
        str | None, Query(description="ISO date (inclusive day) or date-time (exclusive)")
    ] = None,
    adjust: Annotated[
        bool, Query(description="split- and dividend-adjusted prices (default) or raw")
    ] = True,
    provider: Annotated[
        str | None, Query(description="yfinance, ccxt, polygon, sample, demo, file or upload")
    ] = None,
) -> Response:
    q = OhlcvQuery(symbol, timeframe, start or None, end or None, adjust, provider or None)
    body = await get_frame(md, q, user_id=user_id, session=session)
    return Response(content=body, media_type="application/json")
