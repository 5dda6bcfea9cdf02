"""FastAPI application of the strategy AI worker service."""

from __future__ import annotations

from fastapi import FastAPI

from vt_kit.app import create_service_app
from vt_strategy_ai.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="VibeTrading strategy AI worker",
        description="Chat becomes a validated, explained StrategySpec and readable code.",
    )
