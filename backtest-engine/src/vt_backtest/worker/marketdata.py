"""Fetch OHLCV from market-data-service and turn it into engine-ready DataFrames."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import ValidationError

from vt_backtest.worker.errors import JobFailed, fail
from vt_contracts import OHLCVFrame
from vt_kit.http import CircuitBreaker, CircuitOpenError, make_client

log = logging.getLogger(__name__)

SERVICE = "market-data"
COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class LoadedFrame:
    symbol: str
    frame: pd.DataFrame
    source: str
    market: str | None


def frame_to_dataframe(frame: OHLCVFrame) -> pd.DataFrame:
    """UTC DatetimeIndex, float64 open/high/low/close/volume, ascending."""
    index = pd.DatetimeIndex(pd.to_datetime(frame.timestamps, utc=True), name="timestamp")
    df = pd.DataFrame(
        {c: np.asarray(getattr(frame, c), dtype="float64") for c in COLUMNS}, index=index
    )
    if not df.index.is_monotonic_increasing:
        df = df.sort_index()
    return df


class MarketDataClient:
    """One client per worker process, behind a circuit breaker named after the service."""

    def __init__(
        self,
        base_url: str,
        *,
        internal_token: str,
        timeout_s: float,
    ) -> None:
        self._client = make_client(
            base_url,
            internal_token=internal_token,
            timeout=httpx.Timeout(timeout_s, connect=3.0),
        )
        self._breaker = CircuitBreaker(SERVICE, failure_threshold=5, reset_after=30.0)
        self._limit = asyncio.Semaphore(4)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        symbol: str,
        *,
        timeframe: str,
        start: date | None,
        end: date | None,
        user_id: str | None,
        adjust: bool = True,
    ) -> LoadedFrame:
        params: dict[str, Any] = {
            "symbol": symbol,
            "timeframe": timeframe,
            "adjust": "true" if adjust else "false",
        }
        if start is not None:
            params["start"] = start.isoformat()
        if end is not None:
            params["end"] = end.isoformat()
        headers = {"X-User-Id": user_id} if user_id else {}

        async def call() -> httpx.Response:
            resp = await self._client.get("/ohlcv", params=params, headers=headers)
            if resp.status_code >= 500:
                raise _Upstream5xx(resp)
            return resp

        def is_failure(exc: BaseException) -> bool:
            return isinstance(exc, httpx.TransportError | _Upstream5xx)

        async with self._limit:
            try:
                resp = await self._breaker.call(call, is_failure=is_failure)
            except CircuitOpenError as exc:
                raise fail(
                    503,
                    "upstream-unavailable",
                    "Market data unavailable",
                    f"market-data is failing and calls are paused for {exc.retry_after:.0f} s; run the backtest again shortly.",
                    service=SERVICE,
                ) from None
            except httpx.TimeoutException:
                raise fail(
                    504,
                    "upstream-timeout",
                    "Market data timed out",
                    f"market-data did not answer in time for '{symbol}'; run the backtest again shortly.",
                    service=SERVICE,
                ) from None
            except httpx.TransportError as exc:
                raise fail(
                    503,
                    "upstream-unavailable",
                    "Market data unavailable",
                    f"market-data could not be reached ({type(exc).__name__}); run the backtest again shortly.",
                    service=SERVICE,
                ) from None
            except _Upstream5xx as exc:
                status = exc.response.status_code
                raise fail(
                    status if status in (502, 503, 504) else 502,
                    "upstream",
                    "Market data failed",
                    f"market-data failed for '{symbol}' (HTTP {status}): {_detail(exc.response)}",
                    service=SERVICE,
                ) from None
        return self._parse(symbol, timeframe, start, end, resp)

    @staticmethod
    def _parse(
        symbol: str, timeframe: str, start: date | None, end: date | None, resp: httpx.Response
    ) -> LoadedFrame:
        if resp.status_code == 404:
            raise fail(
                422,
                "unknown-symbol",
                "Unknown symbol",
                f"market-data has no data for symbol '{symbol}' ({_detail(resp)}). Check the ticker, "
                "or upload your own data for it.",
                service=SERVICE,
            )
        if resp.status_code in (400, 422):
            raise fail(
                422,
                "bad-data-request",
                "Market data request rejected",
                f"market-data rejected the request for '{symbol}' ({timeframe}, {start or 'start'} to {end or 'end'}): {_detail(resp)}",
                service=SERVICE,
            )
        if resp.status_code != 200:
            raise fail(
                502,
                "upstream",
                "Market data failed",
                f"market-data answered HTTP {resp.status_code} for '{symbol}': {_detail(resp)}",
                service=SERVICE,
            )
        try:
            frame = OHLCVFrame.model_validate_json(resp.content)
        except ValidationError as exc:
            raise fail(
                502,
                "upstream",
                "Market data failed",
                f"market-data returned an invalid OHLCV frame for '{symbol}' ({exc.error_count()} errors).",
                service=SERVICE,
            ) from None
        df = frame_to_dataframe(frame)
        source = frame.provider + (f": {frame.label}" if frame.label else "")
        return LoadedFrame(symbol=symbol, frame=df, source=source, market=frame.market)


class _Upstream5xx(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or resp.reason_phrase)[:500]
    return resp.reason_phrase


__all__ = ["JobFailed", "LoadedFrame", "MarketDataClient", "frame_to_dataframe"]
