"""Smoke tests through the gateway against the REAL sibling services, each mounted in-process
with its own lifespan, for every service that already serves the documented routes (skipped
for the others; the rest of the suite uses the stubs unless VT_GATEWAY_TEST_UPSTREAMS=auto)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from vt_gateway.testing import real_app, register_and_login, stub_apps


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


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
    # the services it calls in turn: a closed port, so they fail fast (and never reach whatever
    # may listen on the default ports of this machine)
    overrides = {
        "MARKET_DATA_URL": _closed_port_url(),
        "MARKET_RESEARCH_URL": _closed_port_url(),
        "STRATEGY_AI_URL": _closed_port_url(),
        "BACKTEST_ENGINE_URL": _closed_port_url(),
        "VT_RESEARCH_SCHEDULER": False,  # no background refresh (it loads NLTK) during a test
    }
    app = real_app(service, redis_url, mode="auto", **overrides)
    if app is None:
        pytest.skip(f"{service} does not serve its documented routes yet")
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub) for name, stub in stub_apps(redis_url).items()
    }
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
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


async def test_chat_and_ownership_with_the_real_strategy_ai_worker(
    make_gateway: Any, redis_url: str
) -> None:
    app = real_app("strategy-ai-worker", redis_url, mode="auto")
    if app is None:
        pytest.skip("strategy-ai-worker does not serve its documented routes yet")
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub) for name, stub in stub_apps(redis_url).items()
    }
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
        transports["strategy-ai-worker"] = httpx.ASGITransport(app=manager.app)
        client = await make_gateway(transports=transports)
        alice = await register_and_login(client, "real-alice@example.com")
        bob = await register_and_login(client, "real-bob@example.com")
        r = await client.post(
            "/api/v1/chat/strategy",
            json={
                "message": "Buy SPY when the 20-day SMA crosses above the 50-day SMA; sell when it crosses back below"
            },
            headers=alice,
        )
        assert r.status_code == 200, r.text
        reply = r.json()
        assert {
            "conversation_id",
            "reply",
            "strategy_id",
            "spec",
            "warnings",
            "clarification",
        } <= set(reply)
        async with client.stream(
            "POST",
            "/api/v1/chat/strategy",
            json={"message": "Add a 5% stop loss", "conversation_id": reply["conversation_id"]},
            headers={**alice, "Accept": "text/event-stream"},
        ) as stream:
            assert stream.status_code == 200
            text = (await stream.aread()).decode()
        assert "event: result" in text or "event: error" in text
        assert reply["strategy_id"], reply  # the offline model builds this one
        if reply["strategy_id"]:
            sid = reply["strategy_id"]
            assert (await client.get(f"/api/v1/strategies/{sid}", headers=alice)).status_code == 200
            assert (await client.get(f"/api/v1/strategies/{sid}", headers=bob)).status_code == 404
            assert (
                await client.delete(f"/api/v1/strategies/{sid}", headers=bob)
            ).status_code == 404
            assert (
                await client.get(f"/api/v1/strategies/{sid}/versions", headers=bob)
            ).status_code == 404
            mine = (await client.get("/api/v1/strategies", headers=alice)).json()["items"]
            assert [s["id"] for s in mine] == [sid]
            assert (await client.get("/api/v1/strategies", headers=bob)).json()["items"] == []
        conv = reply["conversation_id"]
        assert (await client.get(f"/api/v1/conversations/{conv}", headers=alice)).status_code == 200
        assert (await client.get(f"/api/v1/conversations/{conv}", headers=bob)).status_code == 404


async def test_uploads_with_the_real_market_data_service(make_gateway: Any, redis_url: str) -> None:
    app = real_app("market-data-service", redis_url, mode="auto")
    if app is None:
        pytest.skip("market-data-service does not serve its documented routes yet")
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub) for name, stub in stub_apps(redis_url).items()
    }
    rows = "\n".join(
        f"2024-01-{day:02d},{100 + day},{101 + day},{99 + day},{100.5 + day},{1000 + day}"
        for day in range(1, 29)
    )
    csv = ("timestamp,open,high,low,close,volume\n" + rows + "\n").encode()
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
        transports["market-data-service"] = httpx.ASGITransport(app=manager.app)
        client = await make_gateway(transports=transports)
        alice = await register_and_login(client, "md-alice@example.com")
        bob = await register_and_login(client, "md-bob@example.com")
        r = await client.post(
            "/api/v1/market/uploads",
            files={"file": ("mine.csv", csv, "text/csv")},
            data={"symbol": "MYDATA", "timeframe": "1d"},
            headers=alice,
        )
        assert r.status_code == 201, r.text
        mine = await client.get("/api/v1/market/data", params={"symbol": "MYDATA"}, headers=alice)
        assert mine.status_code == 200, mine.text
        assert mine.json()["provider"] == "upload"
        assert len(mine.json()["close"]) == 28
        theirs = await client.get("/api/v1/market/data", params={"symbol": "MYDATA"}, headers=bob)
        assert theirs.status_code != 200 or theirs.json()["provider"] != "upload"
        if theirs.status_code != 200:
            assert theirs.headers["content-type"] == "application/problem+json"
            assert theirs.json()["instance"] == "/api/v1/market/data"
        assert (await client.get("/api/v1/market/uploads", headers=bob)).json()["items"] == []
