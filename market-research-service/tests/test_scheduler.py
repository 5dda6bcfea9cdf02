"""Background refresh against real PostgreSQL and Redis: journaling, freshness, the per-symbol
lock shared by replicas, and the task started in lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from vt_db.models import ResearchSummary
from vt_research.app import create_app
from vt_research.scheduler import LOCK_KEY, Refresher


@asynccontextmanager
async def running(settings: Any) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with LifespanManager(app):
        yield app


def refresher(app: FastAPI) -> Refresher:
    return Refresher(
        app.state.settings, app.state.research, app.state.redis, app.state.sessionmaker
    )


async def journal_counts(app: FastAPI) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(ResearchSummary.symbol, func.count()).group_by(ResearchSummary.symbol)
        )
        return {symbol: int(n) for symbol, n in rows.all()}


async def test_tick_journals_and_then_respects_freshness(
    database_url: str, redis_url: str, clean_db: None, rs_redis: Any, make_settings: Any
) -> None:
    settings = make_settings(VT_RESEARCH_WATCHLIST="DEMO:TREND,market:us,NOPE:XYZ")
    async with running(settings) as app:
        r = refresher(app)
        first = await r.tick()
        assert not {k: v for k, v in first.failed.items() if k != "NOPE:XYZ"}, first.failed
        assert sorted(first.refreshed) == ["DEMO:TREND", "market:us"], first
        assert "does not know the symbol 'NOPE:XYZ'" in first.failed["NOPE:XYZ"]
        assert await journal_counts(app) == {"DEMO:TREND": 1, "market:us": 1}
        async with app.state.sessionmaker() as session:
            scopes = dict(
                (await session.execute(select(ResearchSummary.symbol, ResearchSummary.scope))).all()
            )
        assert scopes == {"DEMO:TREND": "symbol", "market:us": "market"}
        second = await r.tick()
        assert sorted(second.skipped_fresh) == ["DEMO:TREND", "market:us"], (second, first)
        assert second.refreshed == []
        ttl = await rs_redis.pttl("vt:rs:fresh:DEMO:TREND")
        assert 0 < ttl <= 900_000  # equities refresh every 15 minutes by default
        assert await rs_redis.exists(LOCK_KEY.format(symbol="DEMO:TREND")) == 0  # released


async def test_two_replicas_refresh_each_symbol_once(
    database_url: str, redis_url: str, clean_db: None, rs_redis: Any, make_settings: Any
) -> None:
    settings = make_settings(VT_RESEARCH_WATCHLIST="DEMO:TREND,DEMO:RANGE,SAMPLE:AAPL")
    async with running(settings) as a, running(settings) as b:
        ra, rb = refresher(a), refresher(b)
        report_a, report_b = await asyncio.gather(ra.tick(), rb.tick())
        refreshed = report_a.refreshed + report_b.refreshed
        assert sorted(refreshed) == ["DEMO:RANGE", "DEMO:TREND", "SAMPLE:AAPL"]
        skipped = (
            report_a.skipped_locked
            + report_a.skipped_fresh
            + report_b.skipped_locked
            + report_b.skipped_fresh
        )
        assert sorted(skipped) == ["DEMO:RANGE", "DEMO:TREND", "SAMPLE:AAPL"]
        assert await journal_counts(a) == {"DEMO:TREND": 1, "DEMO:RANGE": 1, "SAMPLE:AAPL": 1}


async def test_symbol_locked_by_another_replica_is_skipped(
    database_url: str, redis_url: str, clean_db: None, rs_redis: Any, make_settings: Any
) -> None:
    settings = make_settings(VT_RESEARCH_WATCHLIST="DEMO:TREND")
    await rs_redis.set(LOCK_KEY.format(symbol="DEMO:TREND"), "someone-else", px=60_000)
    async with running(settings) as app:
        report = await refresher(app).tick()
        assert report.skipped_locked == ["DEMO:TREND"]
        assert await journal_counts(app) == {}
    assert await rs_redis.get(LOCK_KEY.format(symbol="DEMO:TREND")) == b"someone-else"


async def test_crypto_refreshes_faster_than_equities(make_settings: Any) -> None:
    settings = make_settings()
    assert settings.refresh_for("crypto") == 300.0
    assert settings.refresh_for("equity") == 900.0
    custom = make_settings(VT_RESEARCH_REFRESH_SECONDS='{"crypto": 60, "equity": 1200}')
    assert custom.refresh_for("crypto") == 60.0
    assert custom.refresh_for("market") == 1200.0  # unlisted class falls back to equities


async def test_background_task_started_in_lifespan(
    database_url: str, redis_url: str, clean_db: None, rs_redis: Any, make_settings: Any
) -> None:
    settings = make_settings(
        VT_RESEARCH_SCHEDULER=True, VT_RESEARCH_WATCHLIST="DEMO:TREND", VT_RESEARCH_TICK_SECONDS=0.2
    )
    async with running(settings) as app:
        for _ in range(150):
            if (await journal_counts(app)).get("DEMO:TREND"):
                break
            await asyncio.sleep(0.2)
        assert await journal_counts(app) == {"DEMO:TREND": 1}
        await asyncio.sleep(0.6)  # several more ticks: still fresh, not journaled again
        assert await journal_counts(app) == {"DEMO:TREND": 1}
