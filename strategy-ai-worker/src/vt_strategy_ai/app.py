"""FastAPI application of the strategy AI worker service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from vt_kit import make_client
from vt_kit.app import create_service_app
from vt_strategy_ai.chat.router import router as chat_router
from vt_strategy_ai.clients import UpstreamClients
from vt_strategy_ai.llm.factory import make_provider
from vt_strategy_ai.settings import Settings
from vt_strategy_ai.strategies.router import router as strategies_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        token = settings.internal_token.get_secret_value()
        timeout = httpx.Timeout(settings.upstream_timeout_s, connect=2.0)
        clients = UpstreamClients(
            make_client(
                settings.market_data_url, internal_token=token, timeout=timeout, connect_retries=1
            ),
            make_client(
                settings.market_research_url,
                internal_token=token,
                timeout=min(timeout.read or 3.0, 3.0),
                connect_retries=0,
            ),
        )
        app.state.upstreams = clients
        app.state.provider = make_provider(settings)
        try:
            yield
        finally:
            await clients.aclose()
            await app.state.provider.aclose()

    return create_service_app(
        settings,
        title="VibeTrading strategy AI worker",
        description="Chat becomes a validated, explained StrategySpec and readable code.",
        routers=[chat_router, strategies_router],
        extra_lifespan=lifespan,
    )
