"""Liveness, readiness and error shape against real PostgreSQL and Redis."""

from __future__ import annotations

import httpx

from vt_devstack.testing import assert_health_contract


async def test_health_ready_and_problem_json(gw: httpx.AsyncClient) -> None:
    await assert_health_contract(gw, "api-gateway", unknown_path="/api/v1/no-such-route")
