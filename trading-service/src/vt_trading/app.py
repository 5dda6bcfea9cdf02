"""FastAPI application of the trading service (one process per environment)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from vt_kit.app import create_service_app
from vt_kit.health import ReadinessCheck
from vt_trading.context import TradingContext
from vt_trading.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings. The runner starts in lifespan when enabled."""
    settings = settings or Settings()
    from vt_trading.routers import all_routers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await TradingContext.create(settings, app.state.redis)
        app.state.trading = ctx
        app.state.db_engine = ctx.engine
        app.state.sessionmaker = ctx.sessionmaker
        runner = None
        if settings.runner_enabled:
            from vt_trading.runner.supervisor import RunnerSupervisor

            runner = RunnerSupervisor(ctx)
            await runner.start()
        app.state.runner = runner
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()
            await ctx.aclose()

    def checks(app: FastAPI) -> dict[str, ReadinessCheck]:
        async def database() -> None:
            ctx: TradingContext = app.state.trading
            async with ctx.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        return {"database": database}

    return create_service_app(
        settings,
        title=f"VibeTrading trading ({settings.trading_environment})",
        description="Deployments of backtested strategies: targets, orders, fills, positions, "
        "P&L, risk, reconciliation and the paper broker.",
        routers=all_routers(),
        extra_lifespan=lifespan,
        extra_checks=checks,
        use_database=False,
    )
