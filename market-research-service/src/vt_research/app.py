"""FastAPI application of the market research service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from vt_kit import CircuitBreaker, make_client
from vt_kit.app import create_service_app
from vt_research.events import EarningsProvider, EventCalendar
from vt_research.marketdata import MarketDataClient
from vt_research.router import router
from vt_research.scheduler import Refresher
from vt_research.sentiment.service import ExtraHeadlineSource, SentimentService, build_model
from vt_research.sentiment.sources import NewsSources
from vt_research.service import InsightService
from vt_research.settings import Settings

log = logging.getLogger(__name__)


def build_research(
    settings: Settings, market_client: httpx.AsyncClient, news_client: httpx.AsyncClient
) -> InsightService:
    """Wire the insight service from settings and two HTTP clients (tests reuse this)."""
    extra: list[ExtraHeadlineSource] = []
    earnings: list[EarningsProvider] = []
    if settings.openbb_enabled:
        from vt_research.openbb_provider import OpenBBProvider

        provider = OpenBBProvider()
        extra.append(provider)
        earnings.append(provider)
    market = MarketDataClient(
        market_client,
        CircuitBreaker("market-data", failure_threshold=5, reset_after=30.0),
        cache_seconds=settings.ohlcv_cache_seconds,
        failure_cache_seconds=settings.failure_cache_seconds,
    )
    sources = NewsSources(
        news_client,
        settings.news_feeds,
        gdelt_url=settings.gdelt_url if settings.gdelt_enabled else None,
        cache_seconds=settings.news_cache_seconds,
    )
    sentiment = SentimentService(
        sources,
        build_model(settings.sentiment_model, settings.nltk_data_dir, settings.sentiment_model_dir),
        aliases=settings.symbol_aliases,
        max_age_hours=settings.news_max_age_hours,
        extra_sources=extra,
    )
    events = EventCalendar(settings.econ_calendar, settings.event_window_days, earnings)
    return InsightService(settings, market, sentiment, events)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        market_client = make_client(
            settings.market_data_url,
            internal_token=settings.internal_token.get_secret_value(),
            timeout=httpx.Timeout(settings.market_data_timeout, connect=2.0),
        )
        news_client = make_client(
            timeout=httpx.Timeout(settings.news_timeout, connect=min(2.0, settings.news_timeout))
        )
        service = build_research(settings, market_client, news_client)
        app.state.research = service
        # The sentiment model loads on first use (NLTK's import takes seconds and holds the GIL
        # in long stretches; in a thread at start-up it starved the event loop past the
        # lifespan's timeouts). With the scheduler on, its first pass loads it at start-up.
        tasks: list[asyncio.Task[None]] = []
        if settings.scheduler_enabled:
            refresher = Refresher(settings, service, app.state.redis, app.state.sessionmaker)
            app.state.refresher = refresher
            tasks.append(asyncio.create_task(refresher.run(), name="vt-rs-refresh"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await market_client.aclose()
            await news_client.aclose()

    return create_service_app(
        settings,
        title="VibeTrading market research",
        description="Regime, trend, volatility and sentiment as structured insights.",
        routers=[router],
        extra_lifespan=lifespan,
    )
