"""FastAPI application of the API gateway service."""

from __future__ import annotations

from fastapi import FastAPI

from vt_gateway.settings import Settings
from vt_kit.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="VibeTrading API gateway",
        description="The one public door: auth, routing, live updates and rate limits.",
    )
