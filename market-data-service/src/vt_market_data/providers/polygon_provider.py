"""polygon.io aggregates (REST `/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`)
via httpx; needs `POLYGON_API_KEY`. polygon's `adjusted=true` adjusts for splits."""

from __future__ import annotations

from typing import Any

import httpx
import pandas as pd

from vt_kit.http import make_client
from vt_market_data.core.bars import Bars
from vt_market_data.core.quality import drop_incomplete
from vt_market_data.providers.base import (
    FetchResult,
    ProviderBadResponse,
    ProviderNotConfigured,
    ProviderRateLimited,
    ProviderSymbolNotFound,
    ProviderTimeout,
    ProviderUnreachable,
)
from vt_market_data.symbols.registry import SymbolInfo

NAME = "polygon"
SPANS = {
    "1m": (1, "minute"),
    "5m": (5, "minute"),
    "15m": (15, "minute"),
    "30m": (30, "minute"),
    "1h": (1, "hour"),
    "4h": (4, "hour"),
    "1d": (1, "day"),
}


class PolygonProvider:
    name = NAME

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self.api_key = api_key
        self.client = make_client(base_url, timeout=httpx.Timeout(timeout_s, connect=3.0))

    def native_timeframe(self, info: SymbolInfo, timeframe: str) -> str:
        return "1d" if timeframe == "1w" else timeframe

    async def close(self) -> None:
        await self.client.aclose()

    async def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        try:
            # the key goes in a header: URLs (and so query strings) are written to logs
            r = await self.client.get(
                url, params=params, headers={"Authorization": f"Bearer {self.api_key}"}
            )
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(
                NAME, f"polygon.io did not answer in time ({type(exc).__name__})."
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderUnreachable(
                NAME, f"could not reach polygon.io: {type(exc).__name__}: {exc}."
            ) from exc
        if r.status_code in (401, 403):
            raise ProviderBadResponse(
                NAME,
                f"polygon.io refused the API key (HTTP {r.status_code}); check POLYGON_API_KEY and its plan.",
            )
        if r.status_code == 429:
            raise ProviderRateLimited(
                NAME, "polygon.io rate limit reached (HTTP 429); retry later."
            )
        if r.status_code == 404:
            raise ProviderSymbolNotFound(NAME, "polygon.io does not know this ticker.")
        if r.status_code >= 500:
            raise ProviderBadResponse(NAME, f"polygon.io failed with HTTP {r.status_code}.")
        try:
            body: dict[str, Any] = r.json()
        except ValueError as exc:
            raise ProviderBadResponse(NAME, "polygon.io sent a response that is not JSON.") from exc
        if r.status_code >= 400 or body.get("status") in ("ERROR", "NOT_AUTHORIZED"):
            msg = body.get("error") or body.get("message") or f"HTTP {r.status_code}"
            raise ProviderBadResponse(NAME, f"polygon.io answered with an error: {msg}")
        return body

    async def actions(self, info: SymbolInfo, start_ns: int, end_ns: int) -> list[int]:
        """Timestamps (the exchange day's midnight, like polygon's daily bars) of the splits with
        start <= execution date < end; polygon's adjusted bars adjust for splits only."""
        if not self.api_key:
            raise ProviderNotConfigured(
                NAME, "POLYGON_API_KEY is not set, so polygon.io cannot be used."
            )
        tz = info.timezone or "America/New_York"
        lo = pd.Timestamp(start_ns, tz="UTC").tz_convert(tz).date().isoformat()
        hi = (pd.Timestamp(end_ns, tz="UTC").tz_convert(tz) + pd.Timedelta(days=1)).date()
        url = "/v3/reference/splits"
        params: dict[str, Any] | None = {
            "ticker": info.native,
            "execution_date.gte": lo,
            "execution_date.lt": hi.isoformat(),
            "limit": 1000,
        }
        found: list[int] = []
        for _page in range(100):
            body = await self._get(url, params)
            for row in body.get("results") or []:
                day = row.get("execution_date")
                if isinstance(day, str):
                    t = int(pd.Timestamp(day).tz_localize(tz).tz_convert("UTC").value)
                    if start_ns <= t < end_ns:
                        found.append(t)
            next_url = body.get("next_url")
            if not next_url:
                break
            url, params = str(next_url), None
        return sorted(found)

    async def fetch(
        self, info: SymbolInfo, timeframe: str, start_ns: int, end_ns: int, adjusted: bool
    ) -> FetchResult:
        if not self.api_key:
            raise ProviderNotConfigured(
                NAME, "POLYGON_API_KEY is not set, so polygon.io cannot be used."
            )
        mult, span = SPANS[timeframe]
        url = f"/v2/aggs/ticker/{info.native}/range/{mult}/{span}/{start_ns // 1_000_000}/{end_ns // 1_000_000 - 1}"
        params: dict[str, Any] | None = {
            "adjusted": "true" if adjusted else "false",
            "sort": "asc",
            "limit": 50000,
        }
        rows: list[dict[str, Any]] = []
        for _page in range(1000):
            body = await self._get(url, params)
            rows.extend(body.get("results") or [])
            next_url = body.get("next_url")
            if not next_url:
                break
            url, params = str(next_url), None
        rows = [r for r in rows if start_ns <= int(r["t"]) * 1_000_000 < end_ns]
        if not rows:
            return FetchResult(Bars.empty())
        bars = Bars.from_arrays(
            [int(r["t"]) * 1_000_000 for r in rows],
            [r.get("o", float("nan")) for r in rows],
            [r.get("h", float("nan")) for r in rows],
            [r.get("l", float("nan")) for r in rows],
            [r.get("c", float("nan")) for r in rows],
            [r.get("v", 0.0) for r in rows],
        ).sorted()
        bars, issue = drop_incomplete(bars)
        return FetchResult(bars, [issue] if issue else [])
