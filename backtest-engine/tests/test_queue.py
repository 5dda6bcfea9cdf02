"""Queue machinery with in-process workers and an injected compute (no engine): delivery,
progress events, idempotency, lease/heartbeat, reclaim from a dead consumer, poison jobs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
from bt_testkit import db_row, fake_result, sma_spec, wait_for

from vt_backtest import events, queue
from vt_backtest.worker.compute import ComputeJob
from vt_contracts import BacktestResult, BacktestRun


def h(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


class CountingCompute:
    """Counts calls; optionally sleeps (reporting progress) or raises."""

    def __init__(self, sleep_s: float = 0.0, fail: BaseException | None = None) -> None:
        self.calls = 0
        self.sleep_s = sleep_s
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, job: ComputeJob) -> BacktestResult:
        with self.lock:
            self.calls += 1
        steps = 10
        for i in range(steps):
            job.progress((i + 1) / steps)
            time.sleep(self.sleep_s / steps)
        if self.fail is not None:
            raise self.fail
        assert set(job.data) == set(job.request.spec.universe.symbols if job.request.spec else [])
        return fake_result(job.request.run_id)


async def drained(redis_client: Any) -> None:
    """No job left pending (the ack follows the database commit by a few milliseconds)."""

    async def none_pending() -> bool:
        info = await redis_client.xpending(queue.JOBS_STREAM, queue.GROUP)
        return int(info["pending"]) == 0

    await wait_for(none_pending, within=10)


async def status_of(api: httpx.AsyncClient, user: str, run_id: str) -> dict[str, Any]:
    r = await api.get(f"/runs/{run_id}", headers=h(user))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def wait_status(
    api: httpx.AsyncClient, user: str, run_id: str, *statuses: str, within: float = 60
) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def done() -> bool:
        found.update(await status_of(api, user, run_id))
        return found["status"] in statuses

    await wait_for(done, within=within)
    return found


async def test_job_runs_with_progress_events_and_persists(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    pubsub = redis_client.pubsub()
    await pubsub.psubscribe("vt:bt:events:*", events.user_channel(user))
    compute = CountingCompute(sleep_s=1.0)
    worker = await make_worker(compute)
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await worker.start()

    running = await wait_status(api, user, run_id, "running", "succeeded")
    assert running["status"] == "running"
    body = await wait_status(api, user, run_id, "succeeded")
    run = BacktestRun.model_validate(body)
    assert run.result is not None
    assert run.progress == 1.0
    assert run.result.provenance.run_hash == fake_result(run_id).provenance.run_hash
    assert run.started_at is not None
    assert run.finished_at is not None

    row = db_row(
        clean_db,
        "SELECT spec_hash, data_hash, engine_version, run_hash, attempts, worker_id FROM backtest_runs WHERE id = %s",
        run_id,
    )
    prov = run.result.provenance
    assert row[:4] == (prov.spec_hash, prov.data_hash, prov.engine_version, prov.run_hash)
    assert row[4] == 1
    assert row[5] == worker.worker.name
    res = db_row(
        clean_db,
        "SELECT run_hash, summary, payload FROM backtest_results WHERE run_id = %s",
        run_id,
    )
    assert res[0] == prov.run_hash
    assert res[1]["total_return_pct"] == 10.0
    assert BacktestResult.model_validate(res[2]) == run.result

    # progress events on both channels, monotone, ending with succeeded
    seen: dict[str, list[dict[str, Any]]] = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if msg is None:
            if any(e["status"] == "succeeded" for e in seen.get(events.user_channel(user), [])):
                break
            continue
        channel = msg["channel"].decode()
        seen.setdefault(channel, []).append(json.loads(msg["data"]))
    await pubsub.aclose()
    for channel in (events.run_channel(run_id), events.user_channel(user)):
        evs = seen[channel]
        assert {e["id"] for e in evs} == {run_id}
        statuses = [e["status"] for e in evs]
        assert statuses[0] == "queued"
        assert statuses[-1] == "succeeded"
        running_progress = [e["progress"] for e in evs if e["status"] == "running"]
        assert len(running_progress) >= 3, evs
        assert running_progress == sorted(running_progress)
        assert 0 < running_progress[-1] < 1
    # the stream is drained
    await drained(redis_client)
    assert await redis_client.xlen(queue.JOBS_STREAM) == 0


async def test_duplicate_delivery_is_not_recomputed(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    compute = CountingCompute()
    worker = await make_worker(compute)
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await queue.enqueue(redis_client, run_id, user, maxlen=1000)  # the same job again
    assert await worker.worker.step(block_ms=100)
    assert await worker.worker.step(block_ms=100)
    assert compute.calls == 1
    assert (
        db_row(clean_db, "SELECT count(*) FROM backtest_results WHERE run_id = %s", run_id)[0] == 1
    )
    assert db_row(clean_db, "SELECT status, attempts FROM backtest_runs WHERE id = %s", run_id) == (
        "succeeded",
        1,
    )
    # and once more after the fact: still acknowledged without work
    await queue.enqueue(redis_client, run_id, user, maxlen=1000)
    assert await worker.worker.step(block_ms=100)
    assert compute.calls == 1
    await drained(redis_client)


async def test_two_workers_racing_on_one_run_store_one_result(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    compute = CountingCompute(sleep_s=0.5)
    a = await make_worker(compute, name="racer-a")
    b = await make_worker(compute, name="racer-b")
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await queue.enqueue(redis_client, run_id, user, maxlen=1000)
    await asyncio.gather(a.worker.step(block_ms=200), b.worker.step(block_ms=200))
    assert compute.calls == 2  # both were in flight at once ...
    assert (
        db_row(clean_db, "SELECT count(*) FROM backtest_results WHERE run_id = %s", run_id)[0] == 1
    )
    assert db_row(clean_db, "SELECT status, attempts FROM backtest_runs WHERE id = %s", run_id) == (
        "succeeded",
        2,
    )  # ... but one result row, and both attempts counted


async def test_dead_consumer_job_is_reclaimed_and_finished(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    # a worker that takes the job and dies without ACK
    taken = await redis_client.xreadgroup(
        queue.GROUP, "dead-worker", {queue.JOBS_STREAM: ">"}, count=1
    )
    assert taken
    assert taken[0][1][0][1][b"run_id"].decode() == run_id
    compute = CountingCompute()
    survivor = await make_worker(compute, name="survivor")
    assert not await survivor.worker.step(block_ms=100)  # not idle long enough yet: not stolen
    await survivor.start()
    body = await wait_status(api, user, run_id, "succeeded", within=30)
    assert body["result"] is not None
    assert compute.calls == 1
    row = db_row(clean_db, "SELECT worker_id, attempts FROM backtest_runs WHERE id = %s", run_id)
    assert row == ("survivor", 1)
    await drained(redis_client)


async def test_heartbeat_keeps_a_long_job_from_being_stolen(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    slow = CountingCompute(sleep_s=3.0)  # three times the 1 s claim timeout
    busy = await make_worker(slow, name="busy")
    other_compute = CountingCompute()
    thief = await make_worker(other_compute, name="thief")
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await busy.start()
    await wait_status(api, user, run_id, "running")
    await thief.start()
    await wait_status(api, user, run_id, "succeeded", within=30)
    assert slow.calls == 1
    assert other_compute.calls == 0
    assert db_row(
        clean_db, "SELECT worker_id, attempts FROM backtest_runs WHERE id = %s", run_id
    ) == (
        "busy",
        1,
    )


async def test_poison_job_fails_after_max_attempts(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    compute = CountingCompute(fail=RuntimeError("kaboom in the engine"))
    worker = await make_worker(compute)
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await worker.start()
    body = await wait_status(api, user, run_id, "failed", within=30)
    assert compute.calls == 3
    err = body["error"]
    assert err["status"] == 500
    assert err["type"].endswith("backtest-poison")
    assert "3 attempts" in err["detail"]
    assert "RuntimeError" in err["detail"]
    assert "kaboom" not in err["detail"]  # no internals leak
    assert err["instance"] == f"/runs/{run_id}"
    assert db_row(clean_db, "SELECT attempts FROM backtest_runs WHERE id = %s", run_id)[0] == 3
    assert db_row(clean_db, "SELECT count(*) FROM backtest_results")[0] == 0
    await drained(redis_client)


async def test_job_that_keeps_killing_its_worker_is_abandoned(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    """Attempts are counted at pick-up, so a job whose worker dies every time (no exception to
    catch) is failed once the attempts are used up, without being run again."""
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    db_row(
        clean_db,
        "UPDATE backtest_runs SET attempts = 3, status = 'running' WHERE id = %s RETURNING id",
        run_id,
    )
    await redis_client.xreadgroup(
        queue.GROUP, "crashed-3rd-time", {queue.JOBS_STREAM: ">"}, count=1
    )
    compute = CountingCompute()
    worker = await make_worker(compute)
    await worker.start()
    body = await wait_status(api, user, run_id, "failed", within=30)
    assert compute.calls == 0
    assert body["error"]["type"].endswith("backtest-poison")
    assert "started 3 times" in body["error"]["detail"]


async def test_malformed_and_orphan_messages_are_dropped(
    api: httpx.AsyncClient, redis_client: Any, make_worker: Any, user: str
) -> None:
    compute = CountingCompute()
    worker = await make_worker(compute)
    await redis_client.xadd(queue.JOBS_STREAM, {"run_id": "not-a-uuid"})
    await redis_client.xadd(queue.JOBS_STREAM, {"run_id": "7d0c1a40-1111-4a4a-9b9b-000000000000"})
    assert await worker.worker.step(block_ms=100)
    assert await worker.worker.step(block_ms=100)
    assert compute.calls == 0
    await drained(redis_client)


async def test_lost_stream_is_recreated_and_unfinished_runs_requeued(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any, make_worker: Any
) -> None:
    """Redis restarted without its data: the worker recreates the group and re-enqueues every
    queued/running run from the database, and they finish."""
    ids = [
        (await api.post("/runs", json={"spec": sma_spec(fast=f)}, headers=h(user))).json()["id"]
        for f in (10, 20)
    ]
    await redis_client.delete(queue.JOBS_STREAM)  # the stream and its group are gone
    compute = CountingCompute()
    worker = await make_worker(compute)
    await worker.start()
    for run_id in ids:
        await wait_status(api, user, run_id, "succeeded", within=30)
    assert compute.calls == 2


async def test_replacement_adopts_a_dead_siblings_jobs_at_once(
    api: httpx.AsyncClient,
    user: str,
    clean_db: str,
    redis_client: Any,
    make_worker: Any,
    make_settings: Any,
) -> None:
    """The master knows which consumer died (it reaped the process): the replacement claims that
    consumer's pending jobs immediately instead of waiting out a (here: one minute) lease."""
    long_lease = make_settings(BACKTEST_CLAIM_IDLE_MS=60_000)
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await redis_client.xreadgroup(
        queue.GROUP, "host:4242:dead01", {queue.JOBS_STREAM: ">"}, count=1
    )
    compute = CountingCompute()
    heir = await make_worker(compute, name="host:4343:heir01", settings_=long_lease)
    assert await heir.worker.adopt(["host:4242:dead01", "host:1:never-existed"]) == 1
    await heir.start()
    await wait_status(api, user, run_id, "succeeded", within=30)  # the lease is 60 s
    assert compute.calls == 1
    assert db_row(clean_db, "SELECT worker_id FROM backtest_runs WHERE id = %s", run_id)[0] == (
        "host:4343:heir01"
    )
    await drained(redis_client)


class StoppableCompute(CountingCompute):
    """Reports progress every 50 ms for up to 30 s; records whether it was stopped early."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped_at_step: int | None = None

    def __call__(self, job: ComputeJob) -> BacktestResult:
        with self.lock:
            self.calls += 1
        for i in range(600):
            try:
                job.progress((i + 1) / 600)
            except BaseException:
                self.stopped_at_step = i
                raise
            time.sleep(0.05)
        return fake_result(job.request.run_id)


async def test_cancel_stops_a_running_run_frees_its_worker_and_skips_a_queued_one(
    api: httpx.AsyncClient,
    user: str,
    other_user: str,
    clean_db: str,
    redis_client: Any,
    make_worker: Any,
) -> None:
    compute = StoppableCompute()
    worker = await make_worker(compute, name="w")
    running = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    queued = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    pubsub = redis_client.pubsub()
    await pubsub.subscribe(events.run_channel(queued))

    # a queued run: cancelled at once, never computed by the worker that later picks it up
    r = await api.post(f"/runs/{queued}/cancel", headers=h(user))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["error"]["type"].endswith("/cancelled")
    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:  # skips the subscribe confirmation
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    assert message is not None
    assert json.loads(message["data"])["status"] == "cancelled"
    await pubsub.aclose()

    await worker.start()
    await wait_status(api, user, running, "running")
    # other users cannot cancel it (and cannot tell it exists)
    assert (await api.post(f"/runs/{running}/cancel", headers=h(other_user))).status_code == 404
    r = await api.post(f"/runs/{running}/cancel", headers=h(user))
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"

    # the worker stops within a heartbeat or two and is free for the next job
    async def stopped() -> bool:
        return compute.stopped_at_step is not None

    await wait_for(stopped, within=10)
    assert compute.stopped_at_step is not None
    assert compute.stopped_at_step < 300
    after = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(other_user))).json()

    async def took_the_next_job() -> bool:
        return compute.calls == 2  # the queued-and-cancelled run was skipped, not computed

    await wait_for(took_the_next_job, within=20)
    assert (await api.post(f"/runs/{after['id']}/cancel", headers=h(other_user))).status_code == 200

    for run_id in (running, queued):
        body = await status_of(api, user, run_id)
        assert body["status"] == "cancelled"
        assert body["result"] is None
        assert db_row(
            clean_db, "SELECT count(*) FROM backtest_results WHERE run_id = %s", run_id
        ) == (0,)
    # cancelling twice is a no-op; a finished run cannot be cancelled
    again = await api.post(f"/runs/{running}/cancel", headers=h(user))
    assert again.json()["status"] == "cancelled"
    db_row(
        clean_db,
        "UPDATE backtest_runs SET status = 'succeeded' WHERE id = %s RETURNING id",
        after["id"],
    )
    done = await api.post(f"/runs/{after['id']}/cancel", headers=h(other_user))
    assert done.status_code == 409
    assert done.json()["type"].endswith("/run-finished")
    listed = (await api.get("/runs?status=cancelled", headers=h(user))).json()["items"]
    assert {item["id"] for item in listed} == {running, queued}


async def test_a_run_past_its_time_limit_is_stopped_and_failed_with_a_reason(
    api: httpx.AsyncClient, user: str, make_settings: Any, make_worker: Any
) -> None:
    compute = StoppableCompute()  # would report progress for 30 s
    worker = await make_worker(compute, settings_=make_settings(BACKTEST_RUN_TIME_LIMIT=0.5))
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    await worker.start()
    body = await wait_status(api, user, run_id, "failed", within=20)
    assert body["error"]["type"].endswith("/backtest-time-limit")
    assert "limit of 0.5 s" in body["error"]["detail"]
    assert compute.stopped_at_step is not None
    assert compute.stopped_at_step < 100
