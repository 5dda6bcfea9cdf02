"""Client for market-data-service `GET /ohlcv`, with a circuit breaker, a short in-process cache
and failures mapped to problems that name market-data."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
import pandas as pd
from pydantic import ValidationError

from vt_contracts import OHLCVFrame
from vt_kit import (
    CircuitBreaker,
    CircuitOpenError,
    NotFound,
    ProblemError,
    Unavailable,
    Unprocessable,
    UpstreamError,
    UpstreamTimeout,
)

SERVICE = "market-data"


@dataclass(frozen=True)
class PriceHistory:
    """Bars of one symbol as a pandas frame plus where they came from."""

    symbol: str
    frame: pd.DataFrame
    provider: str
    label: str | None
    quality_issues: int


def frame_from_contract(ohlcv: OHLCVFrame) -> pd.DataFrame:
    """Columnar OHLCVFrame -> DataFrame indexed by UTC timestamps, sorted, duplicates dropped."""
    df = pd.DataFrame(
        {
            "open": ohlcv.open,
            "high": ohlcv.high,
            "low": ohlcv.low,
            "close": ohlcv.close,
            "volume": ohlcv.volume,
        },
        index=pd.DatetimeIndex(pd.to_datetime(ohlcv.timestamps, utc=True), name="timestamp"),
        dtype=float,
    )
    df = df[~df.index.duplicated(keep="last")].sort_index()
    return df.dropna(subset=["close"])


def _detail_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return response.text[:300]


class MarketDataClient:
    """Reads OHLCV from market-data-service; caches successes and recent failures per request."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        breaker: CircuitBreaker,
        *,
        cache_seconds: float = 300.0,
        failure_cache_seconds: float = 300.0,
    ) -> None:
        self.client = client
        self.breaker = breaker
        self.cache_seconds = cache_seconds
        self.failure_cache_seconds = failure_cache_seconds
        self._cache: dict[tuple[str, str, str], tuple[float, PriceHistory]] = {}
        self._failures: dict[tuple[str, str, str], tuple[float, ProblemError]] = {}
        self._inflight: dict[tuple[str, str, str], asyncio.Future[PriceHistory]] = {}

    def clear(self) -> None:
        self._cache.clear()
        self._failures.clear()

    async def history(
        self, symbol: str, start: datetime, end: datetime, *, remember_failure: bool = False
    ) -> PriceHistory:
        """Daily bars of `symbol` between `start` and `end` (dates, UTC).

        `remember_failure` keeps a failure for `failure_cache_seconds` so optional inputs (VIX)
        that are unreachable do not slow every insight down."""
        key = (symbol, start.date().isoformat(), end.date().isoformat())
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_seconds:
            return hit[1]
        failed = self._failures.get(key)
        if failed is not None and now - failed[0] < self.failure_cache_seconds:
            raise failed[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[PriceHistory] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._fetch(symbol, key[1], key[2])
        except ProblemError as exc:
            if remember_failure:
                self._failures[key] = (time.monotonic(), exc)
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        finally:
            self._inflight.pop(key, None)
        self._cache[key] = (time.monotonic(), result)
        future.set_result(result)
        return result

    async def _fetch(self, symbol: str, start: str, end: str) -> PriceHistory:
        params = {"symbol": symbol, "timeframe": "1d", "start": start, "end": end}

        async def call() -> httpx.Response:
            response = await self.client.get("/ohlcv", params=params)
            if response.status_code >= 500:
                raise _UpstreamStatus(response)
            return response

        try:
            response = await self.breaker.call(
                call,
                is_failure=lambda e: isinstance(e, _UpstreamStatus | httpx.TransportError),
            )
        except CircuitOpenError as exc:
            raise Unavailable(
                f"market-data is failing repeatedly; calls are paused for {exc.retry_after:.0f} s. Try again later.",
                service=SERVICE,
                slug="upstream-unavailable",
                headers={"Retry-After": str(max(1, int(exc.retry_after)))},
            ) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"market-data did not answer in time for {symbol}. Try again in a moment.",
                service=SERVICE,
            ) from exc
        except httpx.TransportError as exc:
            raise Unavailable(
                f"market-data is unreachable ({type(exc).__name__}); insights need its price history. Check MARKET_DATA_URL and that the service runs.",
                service=SERVICE,
                slug="upstream-unavailable",
            ) from exc
        except _UpstreamStatus as exc:
            status = exc.response.status_code
            mapped = {503: Unavailable, 504: UpstreamTimeout}.get(status, UpstreamError)
            raise mapped(
                f"market-data failed for {symbol} ({status}): {_detail_of(exc.response)}",
                service=SERVICE,
            ) from exc
        if response.status_code == 404:
            raise NotFound(
                f"market-data does not know the symbol '{symbol}': {_detail_of(response)} "
                "Search symbols with /symbols/search, or use an offline sample such as SAMPLE:AAPL.",
                slug="unknown-symbol",
                title="Unknown symbol",
            )
        if response.status_code == 422:
            raise Unprocessable(
                f"market-data rejected the request for {symbol}: {_detail_of(response)}",
            )
        if response.status_code >= 400:
            raise UpstreamError(
                f"market-data answered {response.status_code} for {symbol}: {_detail_of(response)}",
                service=SERVICE,
            )
        try:
            ohlcv = OHLCVFrame.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamError(
                f"market-data sent an OHLCV frame for {symbol} that does not match the contract ({exc.error_count()} errors).",
                service=SERVICE,
            ) from exc
        return PriceHistory(
            symbol=symbol,
            frame=frame_from_contract(ohlcv),
            provider=ohlcv.provider,
            label=ohlcv.label,
            quality_issues=len(ohlcv.quality.issues),
        )


class _UpstreamStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"upstream answered {response.status_code}")
        self.response = response
