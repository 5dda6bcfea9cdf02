"""Calls to the market-data and market-research services. Both are optional for a chat turn:
their absence is reported ("data unavailable"), never guessed around."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pandas as pd

from vt_contracts import Insight, OHLCVFrame, StrategySpec
from vt_kit import CircuitBreaker, CircuitOpenError
from vt_kit.context import USER_ID_HEADER

log = logging.getLogger(__name__)


class UpstreamClients:
    """HTTP clients created in lifespan; one circuit breaker per upstream."""

    def __init__(self, market_data: httpx.AsyncClient, research: httpx.AsyncClient) -> None:
        self.market_data = market_data
        self.research = research
        self.md_breaker = CircuitBreaker("market-data-service", failure_threshold=3, reset_after=15)
        self.rs_breaker = CircuitBreaker(
            "market-research-service", failure_threshold=3, reset_after=15
        )

    async def aclose(self) -> None:
        await self.market_data.aclose()
        await self.research.aclose()

    async def insight(self, symbol: str, user_id: str | None) -> dict[str, Any] | None:
        """Latest insight for a symbol, or None when the research service is unavailable."""

        async def call() -> httpx.Response:
            headers = {USER_ID_HEADER: user_id} if user_id else {}
            return await self.research.get("/insight", params={"symbol": symbol}, headers=headers)

        try:
            resp = await self.rs_breaker.call(call)
        except (httpx.HTTPError, CircuitOpenError) as exc:
            log.info("market insight unavailable for %s: %s", symbol, type(exc).__name__)
            return None
        if resp.status_code != 200:
            return None
        try:
            return Insight.model_validate(resp.json()).model_dump(mode="json")
        except ValueError:
            return None

    async def check_symbols(
        self, spec: StrategySpec, symbols: list[str], user_id: str | None
    ) -> SymbolCheck:
        """Ask the market-data service for each symbol's bars: a 404 means no provider knows it
        (the search offers matches); other failures leave the symbol unverified, never unknown."""
        check = SymbolCheck()
        for symbol in symbols:
            params = _ohlcv_params(spec, symbol)
            headers = {USER_ID_HEADER: user_id} if user_id else {}

            async def call(
                p: dict[str, str] = params, h: dict[str, str] = headers
            ) -> httpx.Response:
                return await self.market_data.get("/ohlcv", params=p, headers=h)

            try:
                resp = await self.md_breaker.call(call)
            except (httpx.HTTPError, CircuitOpenError) as exc:
                check.unverified[symbol] = (
                    f"the market-data service is unreachable ({type(exc).__name__})"
                )
                continue
            if resp.status_code == 404 and resp.headers.get("content-type", "").startswith(
                "application/problem+json"
            ):
                # the service's own "unknown symbol" problem, not a 404 from something else
                check.unknown.append(symbol)
                check.matches[symbol] = await self.search(symbol, user_id)
                continue
            if resp.status_code != 200:
                check.unverified[symbol] = f"the market-data service answered {resp.status_code}"
                continue
            try:
                frame = OHLCVFrame.model_validate(resp.json())
            except ValueError:
                check.unverified[symbol] = "the market-data service sent an invalid frame"
                continue
            check.frames[symbol] = (frame_to_df(frame), frame.provider)
        return check

    async def search(self, query: str, user_id: str | None, limit: int = 5) -> list[str]:
        """Symbols the market-data directory matches for `query` (the query itself excluded)."""
        base = query.split(":")[-1].split("/")[0].strip("^")
        headers = {USER_ID_HEADER: user_id} if user_id else {}

        async def call() -> httpx.Response:
            return await self.market_data.get(
                "/symbols/search", params={"q": base, "limit": str(limit + 1)}, headers=headers
            )

        try:
            resp = await self.md_breaker.call(call)
        except (httpx.HTTPError, CircuitOpenError):
            return []
        if resp.status_code != 200:
            return []
        try:
            rows = resp.json()
        except ValueError:
            return []
        out = [
            str(r["symbol"])
            for r in rows
            if isinstance(r, dict) and r.get("symbol") and str(r["symbol"]).upper() != query.upper()
        ]
        return out[:limit]

    async def frames(
        self,
        spec: StrategySpec,
        symbols: list[str],
        user_id: str | None,
        prefetched: dict[str, tuple[pd.DataFrame, str]] | None = None,
    ) -> tuple[dict[str, pd.DataFrame], str | None, str | None]:
        """(frames, provider, problem) for every symbol; on failure frames is empty and problem says why."""
        frames: dict[str, pd.DataFrame] = {}
        provider: str | None = None
        for symbol in symbols:
            if prefetched and symbol in prefetched:
                frames[symbol], got = prefetched[symbol]
                provider = provider or got
                continue
            params = _ohlcv_params(spec, symbol)
            headers = {USER_ID_HEADER: user_id} if user_id else {}

            async def call(
                p: dict[str, str] = params, h: dict[str, str] = headers
            ) -> httpx.Response:
                return await self.market_data.get("/ohlcv", params=p, headers=h)

            try:
                resp = await self.md_breaker.call(call)
            except (httpx.HTTPError, CircuitOpenError) as exc:
                return {}, None, f"the market-data service is unreachable ({type(exc).__name__})"
            if resp.status_code != 200:
                detail = ""
                try:
                    detail = str(resp.json().get("detail") or "")
                except ValueError:
                    detail = ""
                return (
                    {},
                    None,
                    f"the market-data service answered {resp.status_code} for {symbol}{': ' + detail if detail else ''}",
                )
            try:
                frame = OHLCVFrame.model_validate(resp.json())
            except ValueError:
                return {}, None, f"the market-data service sent an invalid frame for {symbol}"
            provider = provider or frame.provider
            frames[symbol] = frame_to_df(frame)
        return frames, provider, None


@dataclass
class SymbolCheck:
    """What the market-data service said about a spec's symbols."""

    unknown: list[str] = field(default_factory=list)
    matches: dict[str, list[str]] = field(default_factory=dict)
    unverified: dict[str, str] = field(default_factory=dict)
    frames: dict[str, tuple[pd.DataFrame, str]] = field(default_factory=dict)


def symbols_of(spec: dict[str, Any]) -> set[str]:
    """Every symbol a spec needs data for: traded, benchmark, indicator inputs, pair legs."""
    out = set(spec.get("universe", {}).get("symbols", []))
    bench = (spec.get("benchmark") or {}).get("symbol")
    if bench:
        out.add(bench)
    for ind in spec.get("indicators", []):
        for key in ("symbol", "leg_a", "leg_b"):
            if ind.get(key):
                out.add(ind[key])
    return out


def unknown_symbols_text(unknown: list[str], matches: dict[str, list[str]]) -> str:
    names = ", ".join(f"'{s}'" for s in unknown)
    parts = [f"No market-data provider knows {names}, so I did not save a strategy."]
    for sym in unknown:
        if matches.get(sym):
            parts.append(f"For {sym} did you mean: {', '.join(matches[sym])}?")
    return " ".join(parts)


def _ohlcv_params(spec: StrategySpec, symbol: str) -> dict[str, str]:
    params: dict[str, str] = {"symbol": symbol, "timeframe": spec.universe.timeframe}
    if spec.period.start:
        # indicators need history before the period starts (warm-up)
        warm = spec.max_lookback() * 2 + 10
        days = (
            warm
            if spec.universe.timeframe in ("1d",)
            else warm * 7
            if spec.universe.timeframe == "1w"
            else 30
        )
        params["start"] = (spec.period.start - timedelta(days=days)).isoformat()
    if spec.period.end:
        params["end"] = spec.period.end.isoformat()
    return params


def frame_to_df(frame: OHLCVFrame) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(frame.timestamps, utc=True))
    return pd.DataFrame(
        {
            "open": frame.open,
            "high": frame.high,
            "low": frame.low,
            "close": frame.close,
            "volume": frame.volume,
        },
        index=index,
    )
