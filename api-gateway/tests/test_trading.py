"""The trading routes through the gateway against the REAL trading service, run twice in-process
(TRADING_ENVIRONMENT=paper and =live, each with its own lifespan, on real PostgreSQL and Redis):
routing to the right environment, ownership, problems, merged lists, a live service that is down,
kill switch and re-arm, and live updates fanned out from Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from vt_gateway.testing import (
    closed_port_url,
    gateway_settings,
    register_and_login,
    stub_apps,
    trading_apps,
)

PROBLEM = "application/problem+json"


@pytest.fixture
async def transports(
    clean_db: str, redis_url: str
) -> AsyncIterator[dict[str, httpx.AsyncBaseTransport]]:
    # the siblings the trading service reads (strategies, runs, bars) are not needed here: a
    # closed port makes any such call fail fast instead of reaching a stack on this machine
    siblings = {
        "STRATEGY_AI_URL": closed_port_url(),
        "BACKTEST_ENGINE_URL": closed_port_url(),
        "MARKET_DATA_URL": closed_port_url(),
        "MARKET_RESEARCH_URL": closed_port_url(),
        "TRADING_RUNNER": False,  # no background runner: these tests drive the API only
    }
    apps = trading_apps(redis_url, mode="auto", **siblings)
    if set(apps) != {"trading-paper", "trading-live"}:
        pytest.skip("the trading service does not serve its documented routes yet")
    found: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=stub) for name, stub in stub_apps(redis_url).items()
    }
    async with AsyncExitStack() as stack:
        for name, app in apps.items():
            manager = await stack.enter_async_context(
                LifespanManager(app, startup_timeout=120, shutdown_timeout=60)
            )
            found[name] = httpx.ASGITransport(app=manager.app)
        yield found


@pytest.fixture
async def tgw(
    make_gateway: Any, transports: dict[str, httpx.AsyncBaseTransport]
) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await make_gateway(transports=transports)
    return client


async def _account(
    gw: httpx.AsyncClient, headers: dict[str, str], name: str, environment: str = "paper"
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "environment": environment, "starting_cash": "100000"}
    if environment == "live":  # the simulated paper venue has no live side
        body.update(venue="ibkr", credentials={"account_id": "DU000000"})
    r = await gw.post("/api/v1/trading/accounts", json=body, headers=headers)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    assert created["environment"] == environment
    assert "credentials" not in created
    return created


async def test_accounts_route_by_environment_merge_and_stay_private(
    tgw: httpx.AsyncClient,
) -> None:
    alice = await register_and_login(tgw, "t-alice@example.com")
    bob = await register_and_login(tgw, "t-bob@example.com")
    paper = [await _account(tgw, alice, f"paper-{i}") for i in range(3)]
    live = [await _account(tgw, alice, f"live-{i}", "live") for i in range(2)]

    # each id answers through the gateway, wherever it lives
    for account in paper + live:
        r = await tgw.get(f"/api/v1/trading/accounts/{account['id']}", headers=alice)
        assert r.status_code == 200, r.text
        assert r.json()["environment"] == account["environment"]
        other = await tgw.get(f"/api/v1/trading/accounts/{account['id']}", headers=bob)
        assert other.status_code == 404
        assert other.headers["content-type"] == PROBLEM

    # one list, both environments, newest first, walked page by page without loss or repeat
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await tgw.get("/api/v1/trading/accounts", params=params, headers=alice)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        assert page["unavailable"] == []
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ours = {a["id"] for a in paper + live}
    listed = [a["id"] for a in seen if a["id"] in ours]
    assert sorted(listed) == sorted(ours)
    assert len(listed) == len(set(listed))
    created = [a["created_at"] for a in seen]
    assert created == sorted(created, reverse=True)
    only_live = await tgw.get(
        "/api/v1/trading/accounts", params={"environment": "live"}, headers=alice
    )
    assert {a["environment"] for a in only_live.json()["items"]} == {"live"}
    theirs = await tgw.get("/api/v1/trading/accounts", headers=bob)
    assert not ours & {a["id"] for a in theirs.json()["items"]}

    bad = await tgw.get("/api/v1/trading/accounts", params={"cursor": "nonsense"}, headers=alice)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == PROBLEM


async def test_risk_limits_kill_and_rearm(tgw: httpx.AsyncClient) -> None:
    alice = await register_and_login(tgw, "k-alice@example.com")
    bob = await register_and_login(tgw, "k-bob@example.com")
    account = await _account(tgw, alice, "main")
    aid = account["id"]

    limits = {**account["risk_limits"], "max_position_pct": 4.0}
    r = await tgw.put(f"/api/v1/trading/accounts/{aid}/risk-limits", json=limits, headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["risk_limits"]["max_position_pct"] == 4.0
    r = await tgw.put(f"/api/v1/trading/accounts/{aid}/risk-limits", json=limits, headers=bob)
    assert r.status_code == 404

    r = await tgw.get("/api/v1/trading/risk", params={"account_id": aid}, headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "active"

    short = await tgw.post("/api/v1/trading/kill", json={"reason": "x"}, headers=alice)
    assert short.status_code == 422
    assert short.headers["content-type"] == PROBLEM
    theirs = await tgw.post(
        "/api/v1/trading/kill", json={"reason": "not mine", "account_id": aid}, headers=bob
    )
    assert theirs.status_code == 404

    r = await tgw.post(
        "/api/v1/trading/kill",
        json={"reason": "testing the switch", "account_id": aid},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "killed"
    r = await tgw.get("/api/v1/trading/risk", params={"account_id": aid}, headers=alice)
    assert r.json()["state"] == "killed"
    r = await tgw.post(
        "/api/v1/trading/rearm",
        json={"reason": "checked, safe again", "account_id": aid},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] != "killed"

    r = await tgw.get("/api/v1/trading/positions", params={"account_id": aid}, headers=alice)
    assert r.status_code == 200, r.text
    assert r.json() == []
    r = await tgw.get("/api/v1/trading/exceptions", params={"account_id": aid}, headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


async def test_unknown_deployments_are_problems(tgw: httpx.AsyncClient) -> None:
    alice = await register_and_login(tgw, "d-alice@example.com")
    missing = uuid.uuid4().hex
    for suffix in ("", "/targets", "/orders", "/fills", "/positions", "/pnl"):
        r = await tgw.get(f"/api/v1/deployments/{missing}{suffix}", headers=alice)
        assert r.status_code == 404, (suffix, r.text)
        assert r.headers["content-type"] == PROBLEM
    r = await tgw.post(f"/api/v1/deployments/{missing}/pause", headers=alice)
    assert r.status_code == 404
    r = await tgw.get("/api/v1/deployments", headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []
    unauth = await tgw.get("/api/v1/deployments")
    assert unauth.status_code == 401


async def test_paper_keeps_working_when_live_is_down(
    make_gateway: Any, transports: dict[str, httpx.AsyncBaseTransport]
) -> None:
    # the live service answers nothing at all: an address where nobody listens
    down = {k: v for k, v in transports.items() if k != "trading-live"}
    gw: httpx.AsyncClient = await make_gateway(
        gateway_settings(TRADING_LIVE_URL=closed_port_url()), transports=down
    )
    alice = await register_and_login(gw, "down-alice@example.com")
    account = await _account(gw, alice, "still-here")
    r = await gw.get(f"/api/v1/trading/accounts/{account['id']}", headers=alice)
    assert r.status_code == 200, r.text
    r = await gw.get("/api/v1/trading/accounts", headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["unavailable"] == ["live"]
    assert [a["id"] for a in r.json()["items"]] == [account["id"]]
    r = await gw.get("/api/v1/deployments", headers=alice)
    assert r.status_code == 200
    assert r.json()["unavailable"] == ["live"]
    # asking for live explicitly names the service that is down
    r = await gw.post(
        "/api/v1/trading/accounts",
        json={"name": "l", "environment": "live", "venue": "ibkr"},
        headers=alice,
    )
    assert r.status_code == 503
    assert r.json()["service"] == "trading-live"
