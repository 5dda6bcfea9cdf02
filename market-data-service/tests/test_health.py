"""Liveness, readiness and error shape against real PostgreSQL and Redis."""

from __future__ import annotations

from vt_devstack.testing import assert_health_contract, in_process_client
from vt_market_data.app import create_app
from vt_market_data.settings import Settings


async def test_health_ready_and_problem_json(database_url: str, redis_url: str) -> None:
    async with in_process_client(create_app(Settings())) as client:
        await assert_health_contract(client, "market-data-service")
