"""`create_service_app`: the common shape of every service (logging, middleware, errors, health,
database engine and Redis client created in lifespan and handed out by dependencies)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from vt_db.session import make_engine, make_sessionmaker
from vt_kit.health import ReadinessCheck, health_router
from vt_kit.logging import configure_logging
from vt_kit.middleware import BodySizeLimitMiddleware, CorrelationIdMiddleware
from vt_kit.problems import install_problem_handlers
from vt_kit.redis import make_redis
from vt_kit.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    version: str = "0.1.0",
    description: str = "",
    routers: Sequence[APIRouter] = (),
    extra_lifespan: Lifespan | None = None,
    extra_checks: Callable[[FastAPI], dict[str, ReadinessCheck]] | None = None,
    max_body_bytes: int = 1_000_000,
    use_database: bool = True,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """Build a FastAPI app with the platform's conventions; resources live in `lifespan`."""
    configure_logging(settings.service_name, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine: AsyncEngine | None = None
        if use_database:
            engine = make_engine(
                settings.database_url.get_secret_value(), pool_size=settings.db_pool_size
            )
            app.state.db_engine = engine
            app.state.sessionmaker = make_sessionmaker(engine)
        app.state.redis = make_redis(settings.redis_url.get_secret_value())
        try:
            if extra_lifespan is not None:
                async with extra_lifespan(app):
                    _freeze_startup_heap(settings)
                    yield
            else:
                _freeze_startup_heap(settings)
                yield
        finally:
            await app.state.redis.aclose()
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title=title, version=version, description=description, lifespan=lifespan, **fastapi_kwargs
    )
    app.state.settings = settings

    def checks() -> dict[str, ReadinessCheck]:
        found: dict[str, ReadinessCheck] = {"redis": lambda: _ping_redis(app)}
        if use_database:
            found["database"] = lambda: _ping_db(app)
        if extra_checks is not None:
            found.update(extra_checks(app))
        return found

    app.include_router(health_router(settings.service_name, version, checks))
    for router in routers:
        app.include_router(router)
    install_problem_handlers(app, service=settings.service_name)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    return app


def _freeze_startup_heap(settings: ServiceSettings) -> None:
    """Move everything allocated at start-up out of the garbage collector's view: later full
    collections then scan only request-time objects, which keeps tail latency low (the gateway's
    p99 at 50 connections fell from ~96 ms to ~27 ms). Not in tests, where many apps start and
    stop in one process."""
    if settings.environment == "test":
        return
    gc.collect()
    gc.freeze()


async def _ping_redis(app: FastAPI) -> None:
    redis: Redis = app.state.redis
    await redis.ping()


async def _ping_db(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.db_engine
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Request-scoped session; the request dependency is the only place that commits."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


# Commit when the endpoint returns, BEFORE the response is sent (FastAPI's default for yield
# dependencies is after): a caller acting on a 2xx must see the write, and a failing commit must
# not follow a 2xx already sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
RedisDep = Annotated[Redis, Depends(get_redis)]
Noop = Callable[[], Awaitable[None]]
