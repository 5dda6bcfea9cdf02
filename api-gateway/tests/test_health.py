"""Liveness and readiness against real PostgreSQL and Redis."""

from __future__ import annotations

import httpx


async def test_health_is_live(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/health")
    assert r.status_code == 200
    assert r.json()["service"] == "api-gateway"


async def test_ready_checks_database_and_redis(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/ready")
    body = r.json()
    assert r.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"].startswith("ok")
    assert body["checks"]["redis"].startswith("ok")


async def test_unknown_path_is_problem_json(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/api/v1/no-such-route", headers={"X-Correlation-ID": "abc-123"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["x-correlation-id"] == "abc-123"
    assert r.json()["correlation_id"] == "abc-123"


async def test_unknown_api_paths_are_404_for_every_method(gw: httpx.AsyncClient) -> None:
    for method in ("GET", "POST", "PUT", "DELETE"):
        r = await gw.request(method, "/api/v1/nothing-here")
        assert r.status_code == 404, method
        assert r.headers["content-type"] == "application/problem+json"
