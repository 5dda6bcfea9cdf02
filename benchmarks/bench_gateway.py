"""Benchmark: the API gateway's hot paths, with ratios against references run in the same run.

    uv run python benchmarks/bench_gateway.py [--duration 10] [--connections 50]

Uses DATABASE_URL / REDIS_URL when both are set, else embedded PostgreSQL/Redis under var/bench/.
Every server is its own process run by uvicorn with `--http httptools --loop uvloop`:

* reference: a bare ASGI "hello" route (the floor for any Python HTTP service here);
* the backtest-engine stand-in (`vt_gateway.stubs.backtest_app`, the documented internal API);
* the gateway, in its production configuration (JWT check, Redis rate limits per IP, user and
  token, revocation check, JSON access log to /dev/null).

Measured (wrk when installed, else a small asyncio httpx driver):

1. `GET /api/v1/backtest/{id}` of a FINISHED run, N concurrent connections: requests/s, p50, p99
   (target >= 500 req/s with p99 <= 50 ms). Finished runs are immutable, so the gateway serves
   them from its per-user cache after auth + rate limits.
2. the gateway's added latency on a PROXIED call: `GET /api/v1/backtest/{id}` of a queued run
   (not cacheable, so every request goes to the upstream) against the same upstream call made
   directly, one connection at a time: p50 difference (target <= 5 ms).

No thresholds are asserted: this prints numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-internal-token-0123456789abcdef"
JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789"
PASSWORD = "correct horse battery staple"
NEVER = "never finishes"


# ------------------------------------------------------------------------------------ servers


async def hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The reference: a bare ASGI route answering a small JSON body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b'{"hello":"world"}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"17")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve(kind: str, port: int) -> None:
    import uvicorn

    app: Any
    if kind == "hello":
        app = hello_app
    elif kind == "upstream":
        from vt_gateway.stubs import backtest_app

        app = backtest_app(TOKEN, os.environ["REDIS_URL"], step_seconds=0.01)
    else:
        from vt_gateway.app import create_app
        from vt_gateway.settings import Settings

        app = create_app(Settings())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        log_config=None,
        access_log=False,
        log_level="warning",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(kind: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/health", timeout=1)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError(f"{kind} server exited with {proc.returncode}") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


# ------------------------------------------------------------------------------------ load


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    url: str, headers: dict[str, str], connections: int, seconds: float
) -> dict[str, float]:
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:.0f}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    dist = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M))
    if "99" not in dist:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50": _ms(dist["50"]),
        "p99": _ms(dist["99"]),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


async def _drive(
    url: str, headers: dict[str, str], connections: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": float(errors),
    }


def load(url: str, headers: dict[str, str], connections: int, seconds: float) -> dict[str, float]:
    if shutil.which("wrk"):
        return run_wrk(url, headers, connections, seconds)
    return asyncio.run(_drive(url, headers, connections, seconds))


# ------------------------------------------------------------------------------------ main


def backing_urls() -> tuple[str, str, Any]:
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        server = os.environ["DATABASE_URL"].rpartition("/")[0] + "/postgres"
        return server, os.environ["REDIS_URL"], None
    from vt_devstack.stack import start_backing

    backing = start_backing(
        ROOT / "var" / "bench",
        "postgres",
        pg_port=int(os.environ.get("VT_BENCH_PG_PORT", "55435")),
        redis_port=int(os.environ.get("VT_BENCH_REDIS_PORT", "56382")),
    )
    server = backing.database_url.rpartition("/")[0] + "/postgres"
    return server, backing.redis_url.rpartition("/")[0] + "/11", backing


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", choices=["hello", "upstream", "gateway"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="gateway LOG_LEVEL (INFO writes one access line per request)",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    from vt_db.migrate import upgrade
    from vt_devstack.embedded import drop_database, ensure_database

    server, redis_url, backing = backing_urls()
    name = f"vt_bench_gw_{os.getpid()}"
    db_url = ensure_database(server, name)
    upgrade(db_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        common = {
            "REDIS_URL": redis_url,
            "DATABASE_URL": db_url,
            "INTERNAL_TOKEN": TOKEN,
            "VT_ENV": "development",
        }
        hello_proc, hello_url = spawn("hello", common)
        upstream_proc, upstream_url = spawn("upstream", common)
        procs += [hello_proc, upstream_proc]
        gateway_env = {
            **common,
            "JWT_SECRET": JWT_SECRET,
            "BACKTEST_ENGINE_URL": upstream_url,
            "VT_FRONTEND_DIR": "/nonexistent",
            "LOG_LEVEL": args.log_level,
            **{f"RL_{k}_CAPACITY": "1000000000" for k in ("IP", "USER", "TOKEN", "AUTH", "CHAT")},
            **{f"RL_{k}_RATE": "1000000" for k in ("IP", "USER", "TOKEN", "AUTH", "CHAT")},
        }
        gateway_proc, gateway_url = spawn("gateway", gateway_env)
        procs.append(gateway_proc)

        with httpx.Client(base_url=gateway_url + "/api/v1", timeout=30) as client:
            client.post("/auth/register", json={"email": "bench@example.com", "password": PASSWORD})
            token = client.post(
                "/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
            ).json()["access_token"]
            client.cookies.clear()
            auth = {"Authorization": f"Bearer {token}"}
            from vt_gateway.stubs import SMA_CROSS

            finished = client.post("/backtest/run", json={"spec": SMA_CROSS}, headers=auth).json()[
                "id"
            ]
            queued = client.post(
                "/backtest/run", json={"spec": {**SMA_CROSS, "name": NEVER}}, headers=auth
            ).json()["id"]
            for _ in range(200):
                if (
                    client.get(f"/backtest/{finished}", headers=auth).json()["status"]
                    == "succeeded"
                ):
                    break
                time.sleep(0.05)
            user_id = client.get("/users/me", headers=auth).json()["id"]

        c, d = args.connections, args.duration
        internal = {"X-Internal-Token": TOKEN, "X-User-Id": user_id}
        print(
            f"load generator: {'wrk' if shutil.which('wrk') else 'asyncio httpx'}; {c} connections, {d:.0f} s each; {os.cpu_count()} CPUs"
        )
        for url, headers in (
            (hello_url + "/hello", {}),
            (f"{gateway_url}/api/v1/backtest/{finished}", auth),
        ):
            load(url, headers, c, 2)  # warm-up
        hello = load(hello_url + "/hello", {}, c, d)
        cached = load(f"{gateway_url}/api/v1/backtest/{finished}", auth, c, d)
        direct_1 = load(f"{upstream_url}/runs/{queued}", internal, 1, d)
        proxied_1 = load(f"{gateway_url}/api/v1/backtest/{queued}", auth, 1, d)
        direct_c = load(f"{upstream_url}/runs/{queued}", internal, c, d)
        proxied_c = load(f"{gateway_url}/api/v1/backtest/{queued}", auth, c, d)

        def row(label: str, r: dict[str, float]) -> str:
            return f"{label:<58} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['errors']:>6.0f}"

        print()
        print(f"{'':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non2xx':>6}")
        print(row(f"reference: bare ASGI hello, {c} conns", hello))
        print(row(f"GET /backtest/{{id}} finished (gateway), {c} conns", cached))
        print(row("upstream GET /runs/{id} direct, 1 conn", direct_1))
        print(row("GET /backtest/{id} queued via gateway, 1 conn", proxied_1))
        print(row(f"upstream GET /runs/{{id}} direct, {c} conns", direct_c))
        print(row(f"GET /backtest/{{id}} queued via gateway, {c} conns", proxied_c))
        print()
        print(
            f"finished run via gateway: {cached['rps']:.0f} req/s (target >= 500), p99 {cached['p99']:.1f} ms (target <= 50)"
        )
        print(
            f"  ratio to the bare hello reference: {cached['rps'] / hello['rps']:.2f}x throughput, p50 {cached['p50'] / hello['p50']:.1f}x"
        )
        print(
            f"gateway added p50 on a proxied call (1 conn): {proxied_1['p50'] - direct_1['p50']:.2f} ms (target <= 5)"
        )
        print(
            f"gateway added p50 on a proxied call ({c} conns): {proxied_c['p50'] - direct_c['p50']:.2f} ms"
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_database(server, name)
        if backing is not None:  # embedded servers this run started
            backing.stop()


if __name__ == "__main__":
    main()
