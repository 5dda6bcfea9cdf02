"""GET /ohlcv logic: route the symbol, serve hot ranges from Redis, otherwise load the bars
(offline data in memory, user uploads, or provider data through the PostgreSQL cache),
resample, check quality and render the frame."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_contracts.ohlcv import DataQualityReport, QualityIssue
from vt_kit.problems import NotFound, Unavailable, Unprocessable
from vt_market_data.core.bars import COLUMNS, Bars
from vt_market_data.core.calendars import MarketInfo, market_info
from vt_market_data.core.quality import quality_report
from vt_market_data.core.resample import resample
from vt_market_data.core.timeframes import TF_NS, can_derive, parse_timeframe
from vt_market_data.ohlcv.cache import Freshness, SeriesCache, SingleFlight
from vt_market_data.ohlcv.frames import frame_bytes
from vt_market_data.ohlcv.ranges import now_ns, parse_range
from vt_market_data.ohlcv.repository import SeriesKey
from vt_market_data.ohlcv.schemas import OhlcvQuery
from vt_market_data.providers.base import (
    FetchResult,
    Guard,
    ListsCorporateActions,
    Provider,
    ProviderError,
    to_problem,
)
from vt_market_data.providers.files import file_series
from vt_market_data.providers.offline import OfflineSeries, demo_series, sample_series
from vt_market_data.settings import Settings
from vt_market_data.symbols.registry import SymbolInfo, resolve

log = logging.getLogger(__name__)

HOT_TTL_S = {
    "1m": 60,
    "5m": 120,
    "15m": 300,
    "30m": 600,
    "1h": 900,
    "4h": 1800,
    "1d": 3600,
    "1w": 3600,
}
SETTLED_TTL_S = 24 * 3600
MAX_HOT_BYTES = 16_000_000

LABELS = {
    "yfinance": "Yahoo Finance via yfinance",
    "ccxt": "{exchange} via ccxt (spot)",
    "polygon": "polygon.io aggregates",
}


@dataclass
class MarketData:
    """Everything /ohlcv needs, created in the app's lifespan."""

    settings: Settings
    redis: Redis
    sessionmaker: async_sessionmaker[AsyncSession]
    providers: dict[str, Provider]
    guards: dict[str, Guard]
    cache: SeriesCache
    flight: SingleFlight = field(default_factory=SingleFlight)


def _hot_key(info: SymbolInfo, tf: str, adjusted: bool, start: int, end: int) -> str:
    return f"vt:md:frame:{info.provider}:{info.symbol}:{tf}:{'adj' if adjusted else 'raw'}:{start}:{end}"


def render(
    *,
    info: SymbolInfo | None,
    symbol: str,
    provider: str,
    tf: str,
    minfo: MarketInfo,
    adjusted: bool,
    bars: Bars,
    issues: list[QualityIssue],
    label: str | None,
) -> bytes:
    report: DataQualityReport = quality_report(bars, tf, minfo, issues)
    return frame_bytes(
        symbol=symbol,
        timeframe=tf,
        market=info.market if info else minfo.market,
        provider=provider,
        exchange_timezone=minfo.timezone,
        adjusted=adjusted,
        bars_ts=bars.ts,
        columns={c: getattr(bars, c) for c in COLUMNS},
        quality=report,
        label=label,
    )


async def _cached(md: MarketData, key: str, ttl: int, build: Any) -> bytes:
    hit = await md.redis.get(key)
    if hit is not None:
        return hit if isinstance(hit, bytes) else str(hit).encode()

    async def compute() -> bytes:
        body: bytes = await build()
        if len(body) <= MAX_HOT_BYTES:
            await md.redis.set(key, body, ex=ttl)
        return body

    return await md.flight.do(key, compute)


def _offline(md: MarketData, info: SymbolInfo, adjusted: bool) -> OfflineSeries:
    if info.provider == "sample":
        return sample_series(info.native, adjusted)
    if info.provider == "demo":
        return demo_series(info.native)
    return file_series(md.settings.data_dir, info.native)


async def offline_frame(md: MarketData, info: SymbolInfo, q: OhlcvQuery, tf: str) -> bytes:
    series = _offline(md, info, q.adjust)
    if not can_derive(tf, series.timeframe):
        hint = (
            " Use DEMO:TREND, DEMO:RANGE or DEMO:PAIR_A/B for intraday data."
            if info.provider == "sample"
            else ""
        )
        raise Unprocessable(
            f"{info.symbol} holds {series.timeframe} bars; {tf} cannot be made from them.{hint}"
        )
    bars = series.bars
    full = (int(bars.ts[0]), int(bars.ts[-1]) + TF_NS[series.timeframe]) if len(bars) else None
    start, end = parse_range(q.start, q.end, tz=info.timezone, timeframe=tf, full_span=full)
    key = _hot_key(info, tf, q.adjust, start, end)
    minfo = market_info(info.market)

    async def build() -> bytes:
        window = series.bars.between(start, end)
        out = resample(window, series.timeframe, tf, minfo)
        return render(
            info=info,
            symbol=info.symbol,
            provider=info.provider,
            tf=tf,
            minfo=minfo,
            adjusted=q.adjust and info.provider == "sample",
            bars=out,
            issues=[],
            label=series.label,
        )

    return await _cached(md, key, SETTLED_TTL_S, build)


async def remote_frame(md: MarketData, info: SymbolInfo, q: OhlcvQuery, tf: str) -> bytes:
    provider = md.providers[info.provider]
    guard = md.guards[info.provider]
    native = provider.native_timeframe(info, tf)
    start, end = parse_range(q.start, q.end, tz=info.timezone, timeframe=tf)
    now = now_ns()
    adjusted = q.adjust if info.provider != "ccxt" else True  # crypto has no corporate actions
    key = _hot_key(info, tf, q.adjust, start, end)
    settled_before = now - TF_NS[native]
    ttl = SETTLED_TTL_S if end <= settled_before else HOT_TTL_S[tf]
    minfo = market_info(info.market)
    series_key = SeriesKey(info.provider, info.symbol, native, adjusted)

    async def fetch(a: int, b: int) -> FetchResult:
        return await guard.call(lambda: provider.fetch(info, native, a, b, adjusted))

    freshness: Freshness | None = None
    if adjusted and info.provider != "ccxt":  # crypto has no corporate actions
        lister = provider if isinstance(provider, ListsCorporateActions) else None

        async def actions(a: int, b: int) -> list[int]:
            assert lister is not None
            return await guard.call(lambda: lister.actions(info, a, b))

        freshness = Freshness(actions if lister is not None else None)

    async def build() -> bytes:
        fetch_end = min(end, now)
        issues: list[QualityIssue] = []
        if start >= fetch_end:
            bars = Bars.empty()
        else:
            try:
                bars, issues = await md.cache.get(
                    series_key, start, fetch_end, settled_before, fetch, freshness
                )
            except ProviderError as exc:
                log.warning("provider %s failed for %s: %s", exc.provider, info.symbol, exc.message)
                raise to_problem(exc) from exc
            except LockError as exc:
                log.warning("lock error: %r", exc)
                raise Unavailable(
                    f"another request is still fetching {info.symbol} from {info.provider}; retry shortly.",
                    service=info.provider,
                ) from exc
        out = resample(bars, native, tf, minfo)
        what = "split- and dividend-adjusted" if q.adjust else "raw prices as traded"
        if info.provider == "ccxt":
            what = "crypto spot (no adjustment applies)"
        elif info.provider == "polygon" and q.adjust:
            what = "split-adjusted (polygon adjusts splits only)"
        label = LABELS[info.provider].format(exchange=info.exchange or "binance") + f"; {what}"
        return render(
            info=info,
            symbol=info.symbol,
            provider=info.provider,
            tf=tf,
            minfo=minfo,
            adjusted=q.adjust,
            bars=out,
            issues=issues,
            label=label,
        )

    return await _cached(md, key, ttl, build)


async def get_frame(
    md: MarketData,
    q: OhlcvQuery,
    *,
    user_id: uuid.UUID | None,
    session: AsyncSession | None,
) -> bytes:
    tf = parse_timeframe(q.timeframe)
    provider = q.provider.strip().lower() if q.provider else None
    if user_id is not None and session is not None and provider in (None, "upload"):
        from vt_market_data.uploads.service import upload_frame

        body = await upload_frame(session, user_id, q, tf)
        if body is not None:
            return body
    if provider == "upload":
        raise NotFound(
            f"you have no upload for '{q.symbol}'"
            + ("" if user_id else " (uploads need the X-User-Id of their owner)")
            + "; upload it with POST /uploads or leave provider empty.",
            title="Unknown symbol",
            service="upload",
        )
    info = resolve(q.symbol, provider, default_exchange=md.settings.ccxt_default_exchange)
    if info.provider in ("sample", "demo", "file"):
        return await offline_frame(md, info, q, tf)
    return await remote_frame(md, info, q, tf)
