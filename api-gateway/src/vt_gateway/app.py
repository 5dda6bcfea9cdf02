"""FastAPI application of the API gateway service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.middleware import Middleware

from vt_contracts import PROBLEM_CONTENT_TYPE, Problem
from vt_gateway.accounts.router import router as accounts_router
from vt_gateway.auth.router import router as auth_router
from vt_gateway.backtests.router import router as backtests_router
from vt_gateway.backtests.service import FinishedRunCache
from vt_gateway.chat.router import router as chat_router
from vt_gateway.deps import CSRF_HEADER, RateLimiter
from vt_gateway.live.router import router as live_router
from vt_gateway.market.router import router as market_router
from vt_gateway.schemas_router import router as schemas_router
from vt_gateway.security import Passwords, SecretBox, TokenService
from vt_gateway.settings import Settings
from vt_gateway.strategies.router import router as strategies_router
from vt_gateway.tokens.router import router as tokens_router
from vt_gateway.trading.router import router as trading_router
from vt_gateway.trading.service import Locations
from vt_gateway.upstream import Upstreams
from vt_gateway.users.router import router as users_router
from vt_gateway.web.middleware import PathBodyLimitMiddleware, SecurityHeadersMiddleware
from vt_gateway.web.static import frontend_router
from vt_kit.app import create_service_app
from vt_kit.middleware import BodySizeLimitMiddleware, CorrelationIdMiddleware

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)

DESCRIPTION = """The one public door of VibeTrading: chat a strategy, backtest it, read the results.

**Auth.** `POST /api/v1/auth/login` returns a short-lived access token: send it as
`Authorization: Bearer <token>` (scripts; no CSRF). Browsers get HttpOnly cookies instead and
echo the readable `vt_csrf` cookie in `X-CSRF-Token` on POST/PUT/PATCH/DELETE.

**Errors** are `application/problem+json` (RFC 9457). **Lists** take `limit`, `cursor`, `sort`
and answer `{"items", "next_cursor"}`. **Rate limits** answer 429 with `Retry-After`.
See docs/api.md for the full guide.
"""


API_ROUTERS: tuple[APIRouter, ...] = (
    backtests_router,  # the hottest routes first: routing tries them in order
    auth_router,
    users_router,
    accounts_router,
    tokens_router,
    chat_router,
    strategies_router,
    trading_router,
    live_router,
    market_router,
    schemas_router,
)


def create_app(
    settings: Settings | None = None,
    *,
    upstream_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """Build the app; tests pass their own settings (and may mount the services in-process)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.limiter = RateLimiter(app.state.redis, settings)
        try:
            await app.state.limiter.load()
        except Exception:  # Redis down at start-up: /ready says so; buckets load on first use
            log.warning("could not load the rate-limit script into Redis")
        app.state.upstreams = Upstreams.from_settings(settings, upstream_transports)
        try:
            yield
        finally:
            await app.state.upstreams.aclose()

    app = create_service_app(
        settings,
        title="VibeTrading API",
        description=DESCRIPTION,
        extra_lifespan=lifespan,
        max_body_bytes=settings.max_upload_bytes,
    )
    app.state.tokens = TokenService(settings)
    app.state.secret_box = SecretBox(settings)
    app.state.passwords = Passwords(settings)
    app.state.run_cache = FinishedRunCache(settings.finished_run_cache_size)
    app.state.trading_locations = Locations()
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(frontend_router(settings.frontend_dir))

    # outermost first: security headers, CORS, correlation id, body limits, the app
    kit_layers = [m for m in app.user_middleware if _cls(m) is not BodySizeLimitMiddleware]
    if not kit_layers or _cls(kit_layers[0]) is not CorrelationIdMiddleware:
        raise RuntimeError("vt_kit's middleware changed; revisit the gateway's middleware order")
    app.user_middleware[:] = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", CSRF_HEADER, "X-Correlation-ID"],
            expose_headers=["X-Correlation-ID", "Retry-After"],
            max_age=600,
        ),
        *kit_layers,
        Middleware(
            PathBodyLimitMiddleware,
            default_bytes=settings.max_body_bytes,
            upload_bytes=settings.max_upload_bytes,
            upload_prefix=f"{API_PREFIX}/market/uploads",
        ),
    ]
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _cls(middleware: Middleware) -> object:
    return middleware.cls


def _openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with every error answer documented as a Problem (application/problem+json)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=[{"url": "/"}],
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in problem_schema.pop("$defs", {}).items():
        components[name] = sub
    components["Problem"] = problem_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem_content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                if str(code)[0] in "45":
                    response["content"] = problem_content
                    if str(code) == "422":
                        response["description"] = (
                            "Invalid input; `errors` lists the offending fields"
                        )
    app.openapi_schema = schema
    return schema
