"""Gateway test fixtures: the real gateway app on real PostgreSQL and Redis, with the internal
services mounted in-process (see `vt_gateway.testing`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from vt_gateway.app import create_app
from vt_gateway.settings import Settings
from vt_gateway.testing import gateway_settings, real_app, register_and_login, stub_apps


@dataclass
class Upstreams:
    transports: dict[str, httpx.AsyncBaseTransport]
    real: set[str]


@pytest.fixture
async def upstreams(database_url: str, redis_url: str) -> AsyncIterator[Upstreams]:
    transports: dict[str, httpx.AsyncBaseTransport] = {}
    real: set[str] = set()
    async with AsyncExitStack() as stack:
        for service, stub_app in stub_apps(redis_url).items():
            app = real_app(service, redis_url)
            if app is not None:
                manager = await stack.enter_async_context(
                    LifespanManager(app, startup_timeout=120, shutdown_timeout=60)
                )
                transports[service] = httpx.ASGITransport(app=manager.app)
                real.add(service)
            else:
                transports[service] = httpx.ASGITransport(app=stub_app)
        yield Upstreams(transports, real)


GatewayFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_gateway(
    clean_db: str, redis_client: Any, upstreams: Upstreams
) -> AsyncIterator[GatewayFactory]:
    """Build a gateway (optionally with other settings or upstream transports) and a client."""
    async with AsyncExitStack() as stack:

        async def factory(
            settings: Settings | None = None,
            transports: dict[str, httpx.AsyncBaseTransport] | None = None,
            client_ip: str = "127.0.0.1",
        ) -> httpx.AsyncClient:
            app = create_app(
                settings or gateway_settings(),
                upstream_transports=transports if transports is not None else upstreams.transports,
            )
            manager = await stack.enter_async_context(
                LifespanManager(app, startup_timeout=120, shutdown_timeout=60)
            )
            transport = httpx.ASGITransport(app=manager.app, client=(client_ip, 50000))
            client = httpx.AsyncClient(transport=transport, base_url="https://testserver")
            await stack.enter_async_context(client)
            return client

        yield factory


@pytest.fixture
async def gw(make_gateway: GatewayFactory) -> httpx.AsyncClient:
    return await make_gateway()


@pytest.fixture
async def alice(gw: httpx.AsyncClient) -> dict[str, str]:
    return await register_and_login(gw, "alice@example.com")


@pytest.fixture
async def bob(gw: httpx.AsyncClient) -> dict[str, str]:
    return await register_and_login(gw, "bob@example.com")
