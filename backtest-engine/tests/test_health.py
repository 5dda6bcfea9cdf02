"""Liveness, readiness and error shape against real PostgreSQL and Redis."""

from __future__ import annotations

from vt_backtest.app import create_app
from vt_backtest.settings import Settings
from vt_devstack.testing import assert_health_contract, in_process_client


async def test_health_ready_and_problem_json(database_url: str, redis_url: str) -> None:
    async with in_process_client(create_app(Settings())) as client:
        await assert_health_contract(client, "backtest-engine")


async def test_ready_reports_how_custom_code_runs(database_url: str, redis_url: str) -> None:
    import asyncio

    from redis.asyncio import Redis

    from vt_backtest.worker import sandbox

    status = await asyncio.to_thread(sandbox.probe)  # what a worker does at start-up
    assert status["mode"] == "zygote", status
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await sandbox.publish(redis, "worker-1", status)
        async with in_process_client(create_app(Settings())) as client:
            body = (await client.get("/ready")).json()
            line = body["checks"]["sandbox"]
            assert line.startswith("ok"), line
            assert "zygote" in line
            assert "seccomp: filter" in line
            assert "network: " in line
            assert "landlock: " in line

            await sandbox.publish(
                redis, "worker-1", {"mode": "unavailable (sandbox_failure: test)", "isolation": {}}
            )
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["sandbox"].startswith("failed")
    finally:
        await redis.delete(sandbox.SANDBOX_KEY)
        await redis.aclose()
