"""Helpers shared by the services' test suites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI


@asynccontextmanager
async def in_process_client(app: FastAPI, **client_kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run `app` with its lifespan and yield an httpx client talking to it in-process."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", **client_kwargs
        ) as client:
            yield client


async def assert_health_contract(
    client: httpx.AsyncClient, service: str, unknown_path: str = "/no-such-route"
) -> None:
    """The contract every service keeps: `/health` is live, `/ready` checks PostgreSQL and Redis
    for real, and an unknown path is a problem+json 404 that echoes the correlation id."""
    live = await client.get("/health")
    assert live.status_code == 200
    assert live.json()["service"] == service

    ready = await client.get("/ready")
    body = ready.json()
    assert ready.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"].startswith("ok")
    assert body["checks"]["redis"].startswith("ok")

    missing = await client.get(unknown_path, headers={"X-Correlation-ID": "abc-123"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["x-correlation-id"] == "abc-123"
    assert missing.json()["correlation_id"] == "abc-123"
