"""Upstream failures surface as 502/503/504 problems naming the service; the circuit opens."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
from fastapi import FastAPI, Response

from vt_gateway.testing import gateway_settings, register_and_login, serve_in_thread, stub_apps


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def _misbehaving(kind: str) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def any_route(path: str) -> Response:
        if kind == "slow":
            await asyncio.sleep(3)
        if kind == "crash":
            return Response(b"Internal Server Error", status_code=500, media_type="text/plain")
        if kind == "unavailable":
            return Response(
                b'{"title": "Service unavailable", "status": 503, "detail": "yfinance is down", "service": "yfinance"}',
                status_code=503,
                media_type="application/problem+json",
            )
        if kind == "refuse":
            return Response(
                b'{"title": "Authentication required", "status": 401}',
                status_code=401,
                media_type="application/problem+json",
            )
        return Response(b"{}", media_type="application/json")

    return app


async def test_unreachable_service_is_503(make_gateway: Any, redis_url: str) -> None:
    settings = gateway_settings(BACKTEST_ENGINE_URL=_closed_port_url())
    transports = {
        k: httpx.ASGITransport(app=v)
        for k, v in stub_apps(redis_url).items()
        if k != "backtest-engine"
    }
    client = await make_gateway(settings, transports=transports)
    headers = await register_and_login(client)
    r = await client.get("/api/v1/backtests", headers=headers)
    assert r.status_code == 503
    body = r.json()
    assert body["service"] == "backtest-engine"
    assert "backtest-engine" in body["detail"]
    assert r.headers["content-type"] == "application/problem+json"


async def test_timeout_is_504_crash_is_502_and_503_passes_on(
    make_gateway: Any, redis_url: str
) -> None:
    transports: dict[str, httpx.AsyncBaseTransport] = {
        k: httpx.ASGITransport(app=v) for k, v in stub_apps(redis_url).items()
    }
    del transports["strategy-ai-worker"]  # a real socket: in-process transports have no timeouts
    transports["backtest-engine"] = httpx.ASGITransport(app=_misbehaving("crash"))
    transports["market-data-service"] = httpx.ASGITransport(app=_misbehaving("unavailable"))
    transports["market-research-service"] = httpx.ASGITransport(app=_misbehaving("refuse"))
    with serve_in_thread(_misbehaving("slow")) as slow_url:
        client = await make_gateway(
            gateway_settings(
                UPSTREAM_TIMEOUT_SECONDS=0.3, CHAT_TIMEOUT_SECONDS=0.3, STRATEGY_AI_URL=slow_url
            ),
            transports=transports,
        )
        headers = await register_and_login(client)

        r = await client.get("/api/v1/strategies", headers=headers)
        assert r.status_code == 504
        assert r.json()["service"] == "strategy-ai-worker"
        r = await client.post(
            "/api/v1/chat/strategy",
            json={"message": "hello there friend"},
            headers={**headers, "Accept": "text/event-stream"},
        )
        assert r.status_code == 504

    r = await client.get("/api/v1/backtests", headers=headers)
    assert r.status_code == 502
    assert r.json()["service"] == "backtest-engine"
    assert "Internal Server Error" not in r.text

    r = await client.get("/api/v1/market/data", params={"symbol": "SPY"}, headers=headers)
    assert r.status_code == 503
    assert r.json()["service"] == "yfinance"

    r = await client.get("/api/v1/market/insight", params={"symbol": "SPY"}, headers=headers)
    assert (
        r.status_code == 502
    )  # the service refused our token: our misconfiguration, not the user's
    assert r.json()["service"] == "market-research-service"


async def test_circuit_opens_after_repeated_failures(make_gateway: Any, redis_url: str) -> None:
    transports: dict[str, httpx.AsyncBaseTransport] = {
        k: httpx.ASGITransport(app=v) for k, v in stub_apps(redis_url).items()
    }
    transports["backtest-engine"] = httpx.ASGITransport(app=_misbehaving("crash"))
    client = await make_gateway(
        gateway_settings(UPSTREAM_FAILURE_THRESHOLD=2, UPSTREAM_RESET_SECONDS=30),
        transports=transports,
    )
    headers = await register_and_login(client)
    assert (await client.get("/api/v1/backtests", headers=headers)).status_code == 502
    assert (await client.get("/api/v1/backtests", headers=headers)).status_code == 502
    r = await client.get("/api/v1/backtests", headers=headers)
    assert r.status_code == 503
    assert r.json()["service"] == "backtest-engine"
    assert int(r.headers["retry-after"]) >= 1
    # other upstreams are unaffected
    assert (await client.get("/api/v1/strategies", headers=headers)).status_code == 200


async def test_upstream_problems_pass_through_with_our_instance(
    gw: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    r = await gw.get(
        "/api/v1/market/data",
        params={"symbol": "NOPE"},
        headers={**alice, "X-Correlation-ID": "corr-42"},
    )
    assert r.status_code == 404
    body = r.json()
    assert body["instance"] == "/api/v1/market/data"
    assert body["correlation_id"] == "corr-42"
    assert "NOPE" in body["detail"]
