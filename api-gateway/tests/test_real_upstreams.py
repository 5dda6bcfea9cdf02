"""Smoke tests through the gateway against the REAL sibling services, each mounted in-process
with its own lifespan, for every service that already serves the documented routes (skipped
for the others; the rest of the suite uses the stubs unless VT_GATEWAY_TEST_UPSTREAMS=auto)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from vt_gateway.testing import real_app, register_and_login, stub_apps

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "strategy-ai-worker": ("/api/v1/strategies", {}),
    "backtest-engine": ("/api/v1/backtests", {}),
    "market-data-service": ("/api/v1/market/symbols", {"q": "SAMPLE"}),
    "market-research-service": ("/api/v1/market/insight", {"symbol": "SAMPLE:AAPL"}),
}


@pytest.mark.parametrize("service", sorted(CALLS))
async def test_gateway_routes_to_the_real_service(
    service: str, make_gateway: Any, redis_url: str
) -> None:
    app = real_app(service, redis_url, mode="auto")
    if app is None:
        pytest.skip(f"{service} does not serve its documented routes yet")
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub) for name, stub in stub_apps(redis_url).items()
    }
    async with LifespanManager(app) as manager:
        transports[service] = httpx.ASGITransport(app=manager.app)
        client = await make_gateway(transports=transports)
        headers = await register_and_login(client)
        path, params = CALLS[service]
        r = await client.get(path, params=params, headers=headers)
        assert r.status_code < 500 or r.headers["content-type"] == "application/problem+json", (
            r.text
        )
        assert r.status_code != 401, "the real service refused the internal token or user"
        if r.status_code == 200 and path.endswith(("strategies", "backtests")):
            assert set(r.json()) >= {"items", "next_cursor"}
