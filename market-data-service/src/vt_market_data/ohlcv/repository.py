"""Queries on market_cache and market_cache_coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import MarketCacheBar, MarketCacheCoverage
from vt_market_data.core.bars import Bars

BATCH = 3000  # 10 columns x 3000 rows stays under PostgreSQL's 32767 bind parameters


@dataclass(frozen=True)
class SeriesKey:
    """One cached series: provider, symbol (as routed, exchange-qualified), timeframe, adjusted."""

    provider: str
    symbol: str
    timeframe: str
    adjusted: bool

    def redis_part(self) -> str:
        return f"{self.provider}:{self.symbol}:{self.timeframe}:{'adj' if self.adjusted else 'raw'}"


def ns_to_dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000
    )


def dt_to_ns(dt: datetime) -> int:
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _key_filter(model: Any, key: SeriesKey) -> Any:
    return and_(
        model.provider == key.provider,
        model.symbol == key.symbol,
        model.timeframe == key.timeframe,
        model.adjusted == key.adjusted,
    )


async def coverage(session: AsyncSession, key: SeriesKey) -> list[tuple[int, int, dict[str, Any]]]:
    rows = await session.execute(
        select(
            MarketCacheCoverage.start_ts, MarketCacheCoverage.end_ts, MarketCacheCoverage.meta
        ).where(_key_filter(MarketCacheCoverage, key))
    )
    return [(dt_to_ns(a), dt_to_ns(b), dict(m or {})) for a, b, m in rows.all()]


@dataclass(frozen=True)
class CoverageRow:
    id: int
    start: int
    end: int
    meta: dict[str, Any]
    fetched_at: int

    @property
    def checked_at(self) -> int:
        """Time (ns) through which the corporate actions of this range were known."""
        return int(self.meta.get("actions_checked_at", self.fetched_at))


async def coverage_rows(session: AsyncSession, key: SeriesKey) -> list[CoverageRow]:
    rows = await session.execute(
        select(
            MarketCacheCoverage.id,
            MarketCacheCoverage.start_ts,
            MarketCacheCoverage.end_ts,
            MarketCacheCoverage.meta,
            MarketCacheCoverage.fetched_at,
        ).where(_key_filter(MarketCacheCoverage, key))
    )
    return [
        CoverageRow(int(i), dt_to_ns(a), dt_to_ns(b), dict(m or {}), dt_to_ns(f))
        for i, a, b, m, f in rows.all()
    ]


async def drop_ranges(session: AsyncSession, key: SeriesKey, rows: list[CoverageRow]) -> None:
    """Forget covered ranges and their bars (they are fetched again when next asked for)."""
    for r in rows:
        await session.execute(
            delete(MarketCacheBar).where(
                _key_filter(MarketCacheBar, key),
                MarketCacheBar.ts >= ns_to_dt(r.start),
                MarketCacheBar.ts < ns_to_dt(r.end),
            )
        )
        await session.execute(delete(MarketCacheCoverage).where(MarketCacheCoverage.id == r.id))


async def mark_checked(session: AsyncSession, rows: list[CoverageRow], checked_at: int) -> None:
    for r in rows:
        await session.execute(
            update(MarketCacheCoverage)
            .where(MarketCacheCoverage.id == r.id)
            .values(meta={**r.meta, "actions_checked_at": checked_at})
        )


async def read_bars(session: AsyncSession, key: SeriesKey, start_ns: int, end_ns: int) -> Bars:
    result = await session.execute(
        select(
            MarketCacheBar.ts,
            MarketCacheBar.open,
            MarketCacheBar.high,
            MarketCacheBar.low,
            MarketCacheBar.close,
            MarketCacheBar.volume,
        )
        .where(
            _key_filter(MarketCacheBar, key),
            MarketCacheBar.ts >= ns_to_dt(start_ns),
            MarketCacheBar.ts < ns_to_dt(end_ns),
        )
        .order_by(MarketCacheBar.ts)
    )
    rows = result.all()
    if not rows:
        return Bars.empty()
    cols = list(zip(*rows, strict=True))
    ts = np.fromiter((dt_to_ns(t) for t in cols[0]), dtype=np.int64, count=len(rows))
    return Bars.from_arrays(ts, cols[1], cols[2], cols[3], cols[4], cols[5])


async def store(
    session: AsyncSession,
    key: SeriesKey,
    bars: Bars,
    ranges: list[tuple[int, int]],
    meta: dict[str, Any],
) -> None:
    """Upsert the bars and record the ranges as covered (caller commits once for all)."""
    ts_list = [ns_to_dt(int(t)) for t in bars.ts]
    values = [
        {
            "provider": key.provider,
            "symbol": key.symbol,
            "timeframe": key.timeframe,
            "adjusted": key.adjusted,
            "ts": ts_list[i],
            "open": float(bars.open[i]),
            "high": float(bars.high[i]),
            "low": float(bars.low[i]),
            "close": float(bars.close[i]),
            "volume": float(bars.volume[i]),
        }
        for i in range(len(bars))
    ]
    for i in range(0, len(values), BATCH):
        stmt = insert(MarketCacheBar).values(values[i : i + BATCH])
        stmt = stmt.on_conflict_do_update(
            index_elements=["provider", "symbol", "timeframe", "adjusted", "ts"],
            set_={c: stmt.excluded[c] for c in ("open", "high", "low", "close", "volume")},
        )
        await session.execute(stmt)
    for a, b in ranges:
        session.add(
            MarketCacheCoverage(
                provider=key.provider,
                symbol=key.symbol,
                timeframe=key.timeframe,
                adjusted=key.adjusted,
                start_ts=ns_to_dt(a),
                end_ts=ns_to_dt(b),
                meta=meta,
            )
        )
    await session.flush()


async def forget(session: AsyncSession, key: SeriesKey) -> None:
    """Drop a series and its coverage (used by operators/tests)."""
    await session.execute(delete(MarketCacheBar).where(_key_filter(MarketCacheBar, key)))
    await session.execute(delete(MarketCacheCoverage).where(_key_filter(MarketCacheCoverage, key)))
