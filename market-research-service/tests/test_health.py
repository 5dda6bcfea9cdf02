"""Liveness, readiness and error shape against real PostgreSQL and Redis."""

from __future__ import annotations

from vt_devstack.testing import assert_health_contract, in_process_client
from vt_research.app import create_app
from vt_research.settings import Settings


async def test_health_ready_and_problem_json(database_url: str, redis_url: str) -> None:
    # the background refresher has its own tests (test_scheduler.py)
    settings = Settings(VT_RESEARCH_SCHEDULER=False)
    async with in_process_client(create_app(settings)) as client:
        await assert_health_contract(client, "market-research-service")
