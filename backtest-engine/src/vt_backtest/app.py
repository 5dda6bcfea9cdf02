"""FastAPI application of the backtest engine service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vt_backtest import queue
from vt_backtest.runs.router import router as runs_router
from vt_backtest.settings import Settings
from vt_backtest.supervisor import WorkerSupervisor
from vt_backtest.worker import sandbox
from vt_kit.app import create_service_app
from vt_kit.health import ReadinessCheck

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings.

    With `BACKTEST_WORKERS` > 0 the lifespan also starts the worker master subprocess, which
    forks that many consumer processes; with 0 this replica only serves the API.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await queue.ensure_group_and_recover(
                app.state.redis, app.state.sessionmaker, maxlen=settings.stream_maxlen
            )
        except Exception:  # Redis/PostgreSQL down at start-up: /ready says so; workers retry
            log.warning("could not prepare the job stream at start-up", exc_info=True)
        supervisor: WorkerSupervisor | None = None
        if settings.backtest_workers > 0:
            supervisor = WorkerSupervisor(settings, processes=settings.backtest_workers)
            await supervisor.start()
        app.state.workers = supervisor
        try:
            yield
        finally:
            if supervisor is not None:
                await supervisor.stop()

    def checks(app: FastAPI) -> dict[str, ReadinessCheck]:
        async def workers() -> None:
            supervisor: WorkerSupervisor | None = app.state.workers
            if supervisor is not None and not supervisor.alive:
                raise RuntimeError("worker master is not running")

        async def custom_code_sandbox() -> str | None:
            # As reported by the workers, which run it: zygote or fresh process, and each layer.
            return await sandbox.describe(app.state.redis)

        return {"workers": workers, "sandbox": custom_code_sandbox}

    return create_service_app(
        settings,
        title="VibeTrading backtest engine",
        description="Honest, fast backtests of StrategySpec and custom code, with walk-forward validation.",
        routers=[runs_router],
        extra_lifespan=lifespan,
        extra_checks=checks,
    )
