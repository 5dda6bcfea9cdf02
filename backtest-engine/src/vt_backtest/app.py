"""FastAPI application of the backtest engine service."""

from __future__ import annotations

from fastapi import FastAPI

from vt_backtest.settings import Settings
from vt_kit.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="VibeTrading backtest engine",
        description="Honest, fast backtests of StrategySpec and custom code, with walk-forward validation.",
    )
