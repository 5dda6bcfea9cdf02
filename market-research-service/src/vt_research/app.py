"""FastAPI application of the market research service."""

from __future__ import annotations

from fastapi import FastAPI

from vt_kit.app import create_service_app
from vt_research.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="VibeTrading market research",
        description="Regime, trend, volatility and sentiment as structured insights.",
    )
