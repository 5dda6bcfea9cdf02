"""The service as deployed: the API starts the worker master subprocess, which forks the
consumer processes. End to end on the real engine, and a worker killed mid-job."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bt_testkit import TOKEN, db_row, sma_spec, wait_for
from test_queue import wait_status

from vt_backtest.app import create_app
from vt_backtest.settings import Settings
from vt_contracts import BacktestRun

pytestmark = pytest.mark.slow


def h(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


async def service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"X-Internal-Token": TOKEN}
        ) as client:
            yield client


@pytest.fixture
async def engine_service(
    make_settings: Callable[..., Settings],
    clean_db: str,
    redis_client: Any,
    real_market_data_url: str,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(BACKTEST_WORKERS=2, MARKET_DATA_URL=real_market_data_url)
    async for client in service(settings):
        yield client


@pytest.fixture
async def slow_service(
    make_settings: Callable[..., Settings],
    clean_db: str,
    redis_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    here = str(Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    settings = make_settings(BACKTEST_WORKERS=1, BACKTEST_COMPUTE="bt_slowjobs:slow_compute")
    async for client in service(settings):
        yield client


async def test_service_runs_jobs_in_worker_processes(
    engine_service: httpx.AsyncClient, user: str, clean_db: str
) -> None:
    ready = await engine_service.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["workers"].startswith("ok")
    ids = []
    for fast in (10, 20, 30):
        spec = sma_spec(
            "SAMPLE:AAPL", fast, 50, period={"start": "2003-01-01", "end": "2012-12-31"}
        )
        r = await engine_service.post("/runs", json={"spec": spec}, headers=h(user))
        assert r.status_code == 202
        ids.append(r.json()["id"])
    for run_id in ids:
        body = await wait_status(engine_service, user, run_id, "succeeded", "failed", within=180)
        assert body["status"] == "succeeded", body["error"]
        BacktestRun.model_validate(body)
    workers = {
        db_row(clean_db, "SELECT worker_id FROM backtest_runs WHERE id = %s", i)[0] for i in ids
    }
    pids = {int(w.split(":")[1]) for w in workers}
    assert os.getpid() not in pids  # the engine never ran in the API process


async def test_killed_worker_job_is_reclaimed_by_its_replacement(
    slow_service: httpx.AsyncClient, user: str, clean_db: str
) -> None:
    r = await slow_service.post("/runs", json={"spec": sma_spec()}, headers=h(user))
    run_id = r.json()["id"]

    async def has_progress() -> bool:
        row = db_row(
            clean_db, "SELECT progress, worker_id FROM backtest_runs WHERE id = %s", run_id
        )
        return row[0] > 0.3 and row[1] is not None

    await wait_for(has_progress, within=120)
    victim = db_row(clean_db, "SELECT worker_id FROM backtest_runs WHERE id = %s", run_id)[0]
    victim_pid = int(victim.split(":")[1])
    os.kill(victim_pid, signal.SIGKILL)  # dies without ACK, mid-job

    body = await wait_status(slow_service, user, run_id, "succeeded", "failed", within=120)
    assert body["status"] == "succeeded", body["error"]
    worker_id, attempts = db_row(
        clean_db, "SELECT worker_id, attempts FROM backtest_runs WHERE id = %s", run_id
    )
    assert attempts == 2
    assert worker_id != victim
    assert int(worker_id.split(":")[1]) != victim_pid
    assert (
        db_row(clean_db, "SELECT count(*) FROM backtest_results WHERE run_id = %s", run_id)[0] == 1
    )
