"""Background refresh: every watched symbol is recomputed when its asset class's interval has
passed; a Redis lock makes sure only one replica refreshes a symbol at a time."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_kit import ProblemError
from vt_research import repository
from vt_research.service import InsightService, asset_class
from vt_research.settings import Settings

log = logging.getLogger(__name__)

LOCK_KEY = "vt:rs:lock:{symbol}"
FRESH_KEY = "vt:rs:fresh:{symbol}"

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass
class TickReport:
    refreshed: list[str] = field(default_factory=list)
    skipped_fresh: list[str] = field(default_factory=list)
    skipped_locked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class Refresher:
    def __init__(
        self,
        settings: Settings,
        service: InsightService,
        redis: Redis,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.settings = settings
        self.service = service
        self.redis = redis
        self.sessionmaker = sessionmaker
        self._release = redis.register_script(_RELEASE)

    async def refresh_symbol(self, symbol: str, report: TickReport) -> None:
        interval = self.settings.refresh_for(asset_class(symbol))
        fresh_key = FRESH_KEY.format(symbol=symbol)
        if await self.redis.exists(fresh_key):
            report.skipped_fresh.append(symbol)
            return
        token = secrets.token_hex(8)
        lock_key = LOCK_KEY.format(symbol=symbol)
        got = await self.redis.set(
            lock_key, token, nx=True, px=int(self.settings.lock_seconds * 1000)
        )
        if not got:
            report.skipped_locked.append(symbol)
            return
        try:
            if await self.redis.exists(fresh_key):  # another replica finished meanwhile
                report.skipped_fresh.append(symbol)
                return
            started = time.perf_counter()
            computed = await self.service.compute(symbol)
            async with self.sessionmaker() as session, session.begin():
                await repository.journal(session, computed.insight, computed.scope)
            await self.redis.set(fresh_key, "1", px=int(interval * 1000))
            report.refreshed.append(symbol)
            log.info(
                "refreshed insight for %s in %.0f ms",
                symbol,
                (time.perf_counter() - started) * 1000,
            )
        except ProblemError as exc:
            report.failed[symbol] = exc.detail
            log.warning("refresh of %s failed: %s", symbol, exc.detail)
        except Exception as exc:
            report.failed[symbol] = type(exc).__name__
            log.exception("refresh of %s failed", symbol)
        finally:
            await self._release(keys=[lock_key], args=[token])

    async def tick(self) -> TickReport:
        """One pass over the watchlist (symbols refreshed one after another)."""
        report = TickReport()
        for symbol in self.settings.watchlist:
            await self.refresh_symbol(symbol, report)
        return report

    async def run(self) -> None:
        """Loop until cancelled; a failing pass is logged and the loop goes on."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("research refresh pass failed")
            await asyncio.sleep(self.settings.scheduler_tick_seconds)
