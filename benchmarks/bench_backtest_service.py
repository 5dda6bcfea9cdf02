"""Benchmark: the backtest service end to end, against the engine in-process.

Run with ``uv run python benchmarks/bench_backtest_service.py [--runs N]`` (NUMBA_CACHE_DIR is
set to ./var/numba-cache when unset). Uses DATABASE_URL / REDIS_URL when set, else the embedded
PostgreSQL/Redis of the test suites (var/test/, shared and registered like a test session); a
throwaway database and a free Redis database are used and removed. Market data comes from a loopback stand-in speaking the
market-data wire format (10 years of daily bars), so the figures are the service's own cost.

Prints, with ratios against references measured in the same run:

1. reference: ``vt_engine.run_backtest`` in-process, warm (10-year daily SMA 20/50 crossover);
2. service latency: POST /runs -> status succeeded (API in this process, one warm worker
   process; completion seen through the run's pub/sub channel, then GET /runs/{id});
3. (e) worker cold start with a warm numba cache: a fresh ``python -m vt_backtest.worker``
   process with a job already queued -> that job succeeded (imports + warm-up + first job);
4. (e') a crashed worker's replacement: SIGKILL a forked worker, POST a run -> succeeded
   (fork from the warm master + connect + job). This is what a worker restart costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "var" / "numba-cache"))
sys.path.insert(0, str(ROOT / "backtest-engine" / "tests"))

import httpx  # noqa: E402
import pandas as pd  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from bt_testkit import TOKEN, market_data_stub, serve_app, sma_spec, synthetic_frame  # noqa: E402

from vt_backtest import events  # noqa: E402
from vt_backtest.app import create_app  # noqa: E402
from vt_backtest.settings import Settings  # noqa: E402
from vt_contracts import StrategySpec  # noqa: E402
from vt_devstack.embedded import drop_database, ensure_database  # noqa: E402
from vt_devstack.stack import start_backing  # noqa: E402

LOCK_KEY = "vt:test-session-lock"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:8.1f} ms   p95 {pct(values, 0.95) * 1000:8.1f} ms"


def claim_redis_db(base: str) -> str:
    for db in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{db}")
        try:
            if client.set(LOCK_KEY, str(os.getpid()), nx=True, ex=3600):
                client.flushdb()
                client.set(LOCK_KEY, str(os.getpid()), ex=3600)
                return f"{base}/{db}"
        finally:
            client.close()
    raise RuntimeError("no free Redis database")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def user_row(db_url: str) -> str:
    uid = str(uuid.uuid4())
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, %s, 'x')",
            (uid, f"{uid}@bench.test"),
        )
    return uid


def run_row(db_url: str, run_id: str) -> tuple[Any, ...]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT status, worker_id, error FROM backtest_runs WHERE id = %s", (run_id,)
        ).fetchone()
    assert row is not None
    return tuple(row)


async def wait_done(client: httpx.AsyncClient, user: str, run_id: str, within: float) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        body = (await client.get(f"/runs/{run_id}", headers={"X-User-Id": user})).json()
        if body["status"] in ("succeeded", "failed"):
            if body["status"] == "failed":
                raise RuntimeError(f"run failed: {body['error']}")
            return str(body["status"])
        await asyncio.sleep(0.01)
    raise TimeoutError(run_id)


async def post_and_wait(
    client: httpx.AsyncClient, rclient: Any, user: str, spec: dict[str, Any], within: float
) -> tuple[float, str]:
    """POST -> succeeded, seen on the user's event channel, confirmed with GET."""
    pubsub = rclient.pubsub()
    await pubsub.subscribe(events.user_channel(user))
    try:
        t0 = time.perf_counter()
        r = await client.post("/runs", json={"spec": spec}, headers={"X-User-Id": user})
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None:
                continue
            ev = json.loads(msg["data"])
            if ev["id"] == run_id and ev["status"] in ("succeeded", "failed"):
                break
        else:
            raise TimeoutError(run_id)
        body = (await client.get(f"/runs/{run_id}", headers={"X-User-Id": user})).json()
        elapsed = time.perf_counter() - t0
        if body["status"] != "succeeded":
            raise RuntimeError(f"run failed: {body['error']}")
        return elapsed, run_id
    finally:
        await pubsub.aclose()


def engine_reference(spec: dict[str, Any], runs: int) -> tuple[list[float], float]:
    import vt_engine

    t0 = time.perf_counter()
    vt_engine.warmup()
    warm = time.perf_counter() - t0
    df = synthetic_frame("DEMO:TREND", date(2005, 1, 1), date(2019, 12, 31))
    df = df[df.index >= pd.Timestamp("2010-01-01", tz="UTC")]
    model = StrategySpec.model_validate(spec)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        vt_engine.run_backtest(model, {"DEMO:TREND": df})
        out.append(time.perf_counter() - t)
    return out, warm


def worker_env(settings: Settings) -> dict[str, str]:
    from vt_backtest.supervisor import worker_env as env_for

    env = env_for(settings)
    env.pop("VT_BACKTEST_SUPERVISED", None)
    return env


async def cold_start(
    settings: Settings, client: httpx.AsyncClient, user: str, spec: dict[str, Any]
) -> tuple[float, float]:
    """Fresh worker master process with a job queued -> job succeeded; returns (total, ready)."""
    r = await client.post("/runs", json={"spec": spec}, headers={"X-User-Id": user})
    run_id = r.json()["id"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(  # noqa: ASYNC220 - timing a real process start
        [sys.executable, "-m", "vt_backtest.worker", "--processes", "1"],
        env=worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        await wait_done(client, user, run_id, within=600)
        total = time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    ready = float("nan")
    for line in out.splitlines():
        try:
            msg = json.loads(line)["message"]
        except (ValueError, KeyError):
            continue
        if "engine warm in" in msg:
            ready = float(msg.split("process up ")[1].split(" s")[0])
        if any(k in msg for k in ("engine warm", "after fork", "attempt", "succeeded")):
            print(f"      worker log: {msg[:120]}")
    return total, ready


async def main_async(runs: int) -> None:
    sessions = ROOT / "var" / "test" / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    (sessions / str(os.getpid())).touch()
    backing = start_backing(
        ROOT / "var" / "test",
        "postgres",
        pg_port=int(os.environ.get("VT_TEST_PG_PORT", "55433")),
        redis_port=int(os.environ.get("VT_TEST_REDIS_PORT", "56380")),
    )
    server = backing.database_url.rpartition("/")[0] + "/postgres"
    name = f"vt_bench_{os.getpid()}"
    db_url = ensure_database(server, name)
    from vt_db.migrate import upgrade

    upgrade(db_url)
    redis_url = claim_redis_db(backing.redis_url.rpartition("/")[0])
    spec = sma_spec("DEMO:TREND", 20, 50)
    try:
        print("reference: engine in-process (warm) ...", flush=True)
        ref, warm_in_process = engine_reference(spec, runs)
        with serve_app(market_data_stub()) as md_url:
            base = {
                "DATABASE_URL": db_url,
                "REDIS_URL": redis_url,
                "MARKET_DATA_URL": md_url,
                "INTERNAL_TOKEN": TOKEN,
                "BACKTEST_PROGRESS_INTERVAL": 0.25,
            }
            api_only = Settings(**base, BACKTEST_WORKERS=0)
            with_worker = Settings(**base, BACKTEST_WORKERS=1)
            user = user_row(db_url)
            rclient = __import__("redis.asyncio", fromlist=["Redis"]).Redis.from_url(redis_url)

            # (e) fresh worker processes, warm numba cache (the first one may still fill it)
            app = create_app(api_only)
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://t", headers={"X-Internal-Token": TOKEN}
                ) as client:
                    print("(e) cold worker processes ...", flush=True)
                    colds = [await cold_start(api_only, client, user, spec) for _ in range(2)]

            # service latency with one warm worker, and (e') a killed worker's replacement
            app = create_app(with_worker)
            async with LifespanManager(app, startup_timeout=600, shutdown_timeout=60) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://t", headers={"X-Internal-Token": TOKEN}
                ) as client:
                    first, run_id = await post_and_wait(client, rclient, user, spec, within=600)
                    print(f"first job through the service (includes worker start): {first:.2f} s")
                    service = []
                    for _ in range(runs):
                        elapsed, run_id = await post_and_wait(client, rclient, user, spec, 120)
                        service.append(elapsed)
                    replacements = []
                    for _ in range(3):
                        _status, worker_id, _err = run_row(db_url, run_id)
                        os.kill(int(worker_id.split(":")[1]), signal.SIGKILL)
                        t0 = time.perf_counter()
                        _elapsed, run_id = await post_and_wait(client, rclient, user, spec, 120)
                        replacements.append(time.perf_counter() - t0)
                        await asyncio.sleep(11)  # past the master's quick-crash backoff window
            await rclient.aclose()
    finally:
        drop_database(server, name)
        client_sync = redis.Redis.from_url(redis_url)
        client_sync.flushdb()
        client_sync.close()
        (sessions / str(os.getpid())).unlink(missing_ok=True)
        others = [p for p in sessions.iterdir() if p.name.isdigit() and alive(int(p.name))]
        if not others and os.environ.get("VT_KEEP_TEST_SERVERS") != "1":
            backing.stop()

    ref_p50 = pct(ref, 0.5)
    svc_p50 = pct(service, 0.5)
    print()
    print(f"runs per measurement: {runs}; 10-year daily SMA 20/50 crossover, one symbol")
    print(f"1. engine in-process (reference) {fmt(ref)}   (warm-up {warm_in_process:.2f} s)")
    print(
        f"2. service POST -> succeeded     {fmt(service)}   "
        f"ratio {svc_p50 / ref_p50:6.1f}x reference, overhead {(svc_p50 - ref_p50) * 1000:.0f} ms"
    )
    for i, (total, ready) in enumerate(colds, 1):
        print(
            f"3. (e) fresh worker process #{i}: ready {ready:.2f} s, first job done {total:.2f} s "
            f"(target <= 5 s) = {total / ref_p50:.0f}x reference"
        )
    print(
        f"4. (e') killed worker -> replacement forked, job done: {fmt(replacements)}  "
        f"ratio {pct(replacements, 0.5) / ref_p50:.1f}x reference"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main_async(args.runs))


if __name__ == "__main__":
    main()
