"""FastAPI application of the market data service."""

from __future__ import annotations

from fastapi import FastAPI

from vt_kit.app import create_service_app
from vt_market_data.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="VibeTrading market data",
        description="Normalised, cached OHLCV from yfinance, ccxt, polygon and user files.",
    )
