"""Two-level cache with single-flight.

* PostgreSQL `market_cache` keeps provider bars; `market_cache_coverage` records which ranges were
  fetched, so a request fetches only the missing part. Writes happen only after every missing
  part was fetched successfully, in one transaction: upstream trouble never corrupts the cache.
* A Redis lock per series (`vt:md:lock:...`) makes replicas take turns fetching; an in-process
  single-flight makes concurrent identical requests share one computation.
* Redis keeps the finished response bytes of hot ranges (`vt:md:frame:...`, TTL by timeframe).
* Adjusted prices change whenever a split or dividend happens after them. Raw bars are stable;
  adjusted ranges are re-validated (`Freshness`): at most every `check_every_ns` the provider's
  corporate actions since the range was fetched are listed, and a range that precedes a new action
  is dropped and fetched again, so old and new bars always carry the same adjustment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import LockError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_contracts.ohlcv import QualityIssue
from vt_market_data.core.bars import Bars
from vt_market_data.ohlcv import repository as repo
from vt_market_data.ohlcv.repository import SeriesKey
from vt_market_data.providers.base import FetchResult

T = TypeVar("T")
log = logging.getLogger(__name__)


class SingleFlight:
    """Concurrent callers with the same key share one running task."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    async def do(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:

            async def run() -> T:
                try:
                    return await fn()
                finally:
                    self._tasks.pop(key, None)

            task = asyncio.ensure_future(run())
            self._tasks[key] = task
        result: T = await asyncio.shield(task)
        return result


def missing_ranges(covered: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """Parts of [start, end) not inside any covered interval."""
    out: list[tuple[int, int]] = []
    cursor = start
    for a, b in sorted(covered):
        if b <= cursor:
            continue
        if a >= end:
            break
        if a > cursor:
            out.append((cursor, min(a, end)))
        cursor = max(cursor, b)
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end))
    return out


Fetch = Callable[[int, int], Awaitable[FetchResult]]
# timestamps (ns) of the corporate actions (splits, dividends) with start <= ts < end
Actions = Callable[[int, int], Awaitable[list[int]]]
HOUR_NS = 3_600_000_000_000


@dataclass(frozen=True)
class Freshness:
    """How cached adjusted ranges stay right. `actions` lists a provider's corporate actions;
    without it (a provider that cannot list them) ranges older than `max_age_ns` are fetched
    again. `margin_ns` covers actions the provider reports a little late."""

    actions: Actions | None
    check_every_ns: int = 12 * HOUR_NS
    max_age_ns: int = 7 * 24 * HOUR_NS
    margin_ns: int = 24 * HOUR_NS


def stale_rows(
    rows: list[repo.CoverageRow], action_ts: list[int] | None, now: int, fresh: Freshness
) -> list[repo.CoverageRow]:
    """Ranges whose adjustment changed: an action after their first bar that was not known when
    they were fetched (or, without a list of actions, ranges fetched too long ago)."""
    if action_ts is None:
        return [r for r in rows if now - r.fetched_at >= fresh.max_age_ns]
    return [
        r
        for r in rows
        if any(t > r.start and t >= r.checked_at - fresh.margin_ns for t in action_ts)
    ]


class SeriesCache:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        *,
        lock_timeout_s: float = 120.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.redis = redis
        self.lock_timeout_s = lock_timeout_s

    async def _state(
        self, key: SeriesKey, start: int, end: int
    ) -> tuple[list[tuple[int, int]], list[QualityIssue]]:
        async with self.sessionmaker() as session:
            cov = await repo.coverage(session, key)
        issues = [
            QualityIssue.model_validate(i)
            for a, b, meta in cov
            if a < end and b > start
            for i in meta.get("issues", [])
        ]
        return missing_ranges([(a, b) for a, b, _ in cov], start, end), issues

    def _lock(self, key: SeriesKey) -> Any:
        return self.redis.lock(
            f"vt:md:lock:{key.redis_part()}",
            timeout=self.lock_timeout_s,
            blocking_timeout=self.lock_timeout_s,
            sleep=0.05,
        )

    async def _release(self, lock: Any) -> None:
        try:
            await lock.release()
        except LockError as exc:  # expired or removed meanwhile: the data is committed
            log.warning("cache lock %s was lost before release: %r", lock.name, exc)

    async def revalidate(self, key: SeriesKey, start: int, end: int, fresh: Freshness) -> None:
        """Drop the cached ranges overlapping [start, end) whose adjustment is out of date."""

        def due(rows: list[repo.CoverageRow], now: int) -> list[repo.CoverageRow]:
            return [
                r
                for r in rows
                if r.start < end and r.end > start and now - r.checked_at >= fresh.check_every_ns
            ]

        async with self.sessionmaker() as session:
            if not due(await repo.coverage_rows(session, key), time.time_ns()):
                return
        lock = self._lock(key)
        if not await lock.acquire():
            raise LockError(f"could not take {lock.name!r} in {self.lock_timeout_s:.0f} s")
        try:
            now = time.time_ns()
            async with self.sessionmaker() as session:
                rows = due(await repo.coverage_rows(session, key), now)
            if not rows:
                return
            since = min(r.start for r in rows)
            action_ts = await fresh.actions(since, now) if fresh.actions else None
            stale = stale_rows(rows, action_ts, now, fresh)
            async with self.sessionmaker() as session:
                await repo.drop_ranges(session, key, stale)
                if action_ts is not None:
                    await repo.mark_checked(session, [r for r in rows if r not in stale], now)
                await session.commit()
            if stale:
                log.info(
                    "%s: %d cached adjusted range(s) precede a new corporate action; refetching",
                    key.redis_part(),
                    len(stale),
                )
        finally:
            await self._release(lock)

    async def get(
        self,
        key: SeriesKey,
        start: int,
        end: int,
        settled_before: int,
        fetch: Fetch,
        freshness: Freshness | None = None,
    ) -> tuple[Bars, list[QualityIssue]]:
        """Bars of [start, end): cached parts from PostgreSQL, the rest fetched and stored.

        Bars at or after `settled_before` (the still-forming latest bar) are fetched each time and
        never stored. With `freshness` (adjusted prices), out-of-date ranges are dropped first."""
        stored_end = max(start, min(end, settled_before))
        if freshness is not None and stored_end > start:
            await self.revalidate(key, start, stored_end, freshness)
        missing, issues = await self._state(key, start, stored_end)
        fresh: list[Bars] = []
        if missing:
            lock = self._lock(key)
            if not await lock.acquire():
                raise LockError(f"could not take {lock.name!r} in {self.lock_timeout_s:.0f} s")
            try:
                missing, issues = await self._state(key, start, stored_end)
                if missing:
                    results = [await fetch(a, b) for a, b in missing]
                    new_issues = [i for r in results for i in r.issues]
                    bars = Bars.concat([r.bars for r in results]).sorted()
                    async with self.sessionmaker() as session:
                        # the cache write commits before the lock is released so other replicas see it
                        await repo.store(
                            session,
                            key,
                            bars,
                            missing,
                            {"issues": [i.model_dump(mode="json") for i in new_issues]},
                        )
                        await session.commit()
                    issues += new_issues
            finally:
                await self._release(lock)
        if stored_end < end:
            tail = await fetch(stored_end, end)
            fresh.append(tail.bars)
            issues += tail.issues
        async with self.sessionmaker() as session:
            cached = await repo.read_bars(session, key, start, stored_end)
        return Bars.concat([cached, *fresh]), issues
