"""FastAPI application of the market data service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vt_kit.app import create_service_app
from vt_market_data.ohlcv.cache import SeriesCache
from vt_market_data.ohlcv.router import router as ohlcv_router
from vt_market_data.ohlcv.service import MarketData
from vt_market_data.providers.base import Guard, Provider
from vt_market_data.providers.ccxt_provider import CcxtProvider
from vt_market_data.providers.polygon_provider import PolygonProvider
from vt_market_data.providers.yfinance_provider import YFinanceProvider
from vt_market_data.settings import Settings
from vt_market_data.symbols.router import router as symbols_router
from vt_market_data.uploads.router import router as uploads_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        redis = app.state.redis
        ccxt = CcxtProvider(settings.ccxt_api_base_url, settings.upstream_timeout_s)
        polygon = PolygonProvider(
            settings.polygon_base_url,
            settings.polygon_api_key.get_secret_value(),
            settings.upstream_timeout_s,
        )
        providers: dict[str, Provider] = {
            "yfinance": YFinanceProvider(
                settings.data_dir, settings.yfinance_base_url, settings.upstream_timeout_s
            ),
            "ccxt": ccxt,
            "polygon": polygon,
        }
        guards = {
            name: Guard(
                name,
                redis,
                capacity=settings.rate_limit_burst,
                refill_per_sec=settings.rate_limit_per_sec,
                attempts=settings.retry_attempts,
                base_delay=settings.retry_base_delay_s,
                failure_threshold=settings.breaker_failures,
                reset_after=settings.breaker_reset_s,
            )
            for name in providers
        }
        app.state.md = MarketData(
            settings=settings,
            redis=redis,
            sessionmaker=app.state.sessionmaker,
            providers=providers,
            guards=guards,
            cache=SeriesCache(
                app.state.sessionmaker, redis, lock_timeout_s=settings.lock_timeout_s
            ),
        )
        try:
            yield
        finally:
            await ccxt.close()
            await polygon.close()

    return create_service_app(
        settings,
        title="VibeTrading market data",
        description="Normalised, cached OHLCV from yfinance, ccxt, polygon and user files.",
        routers=[ohlcv_router, symbols_router, uploads_router],
        extra_lifespan=lifespan,
        max_body_bytes=settings.max_upload_bytes,
    )
