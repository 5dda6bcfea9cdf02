"""Market-data benchmarks, one command: `uv run python benchmarks/bench_market_data.py`.

Prints p50s and ratios against references measured in the same run:
1. a cached 10-year daily range through the service (ASGI in-process, Redis hot cache), against a
   raw Redis GET of the same payload; and the same range served from the PostgreSQL cache only;
2. resampling 1,000,000 one-minute bars to 1h, against pandas `resample().agg()`;
3. 50 concurrent requests for one uncached range -> upstream calls counted at a local Binance stub.

Uses DATABASE_URL / REDIS_URL when set, else embedded servers under var/bench-md/.
No thresholds are asserted here; targets: p50 <= 20 ms, resample <= 1 s, exactly 1 upstream call.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from vt_devstack.embedded import drop_database, ensure_database
from vt_devstack.stack import repo_root, start_backing

ROOT = repo_root()
sys.path.insert(0, str(ROOT / "market-data-service" / "tests"))
import md_stubs  # noqa: E402  (the providers' wire-format stubs used by the tests)

from vt_market_data.app import create_app  # noqa: E402
from vt_market_data.core.bars import Bars  # noqa: E402
from vt_market_data.core.calendars import market_info  # noqa: E402
from vt_market_data.core.resample import resample  # noqa: E402
from vt_market_data.settings import Settings  # noqa: E402

TOKEN = "bench-token"


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def timed(n: int, fn) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t)
    return out


async def bench_service(db_url: str, redis_url: str, data_dir: Path) -> None:
    md_stubs.BINANCE_START_MS = int(pd.Timestamp("2014-01-01", tz="UTC").value // 1_000_000)
    stub = md_stubs.StubServer(md_stubs.binance_handler).start()
    settings = Settings(  # type: ignore[call-arg]
        INTERNAL_TOKEN=TOKEN,
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        VT_DATA_DIR=str(data_dir),
        VT_CCXT_API_BASE_URL=stub.url,
        VT_MD_RATE_PER_SEC=1000.0,
        VT_MD_RATE_BURST=1000.0,
        LOG_LEVEL="WARNING",
    )
    app = create_app(settings)
    redis = Redis.from_url(redis_url)
    stale = [k async for k in redis.scan_iter(match="vt:md:*")]  # from an earlier run
    if stale:
        await redis.delete(*stale)
    try:
        async with LifespanManager(app) as m:
            transport = httpx.ASGITransport(app=m.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers={"X-Internal-Token": TOKEN}
            ) as c:
                print("== cached 10-year daily range through the service (ASGI in-process)")
                for label, params in (
                    (
                        "SAMPLE:AAPL 2003-2012 1d",
                        {"symbol": "SAMPLE:AAPL", "start": "2003-01-01", "end": "2012-12-31"},
                    ),
                    (
                        "BTC/USDT 2014-2023 1d (ccxt stub)",
                        {"symbol": "BTC/USDT", "start": "2014-01-01", "end": "2023-12-31"},
                    ),
                ):
                    first = await c.get("/ohlcv", params=params)
                    assert first.status_code == 200, first.text
                    keys = [k async for k in redis.scan_iter(match="vt:md:frame:*")]
                    key = next(k for k in keys if params["symbol"].encode() in k)
                    service = await timed(300, lambda p=params: c.get("/ohlcv", params=p))
                    raw = await timed(300, lambda k=key: redis.get(k))
                    print(
                        f"  {label}: {len(first.content) / 1e3:.0f} kB, p50 service {p50(service):.2f} ms | "
                        f"raw Redis GET {p50(raw):.2f} ms | ratio {p50(service) / p50(raw):.1f}x  (target <= 20 ms)"
                    )

                    # the PostgreSQL layer alone (hot copy removed before each request)
                    async def cold(k: bytes = key, p: dict[str, str] = params) -> None:
                        await redis.delete(k)
                        r = await c.get("/ohlcv", params=p)
                        assert r.status_code == 200

                    pg = await timed(30, cold)
                    print(
                        f"  {label}: p50 without the Redis copy (rebuilt from the PostgreSQL cache or, for samples, memory) {p50(pg):.1f} ms"
                    )
                klines_before = len(stub.calls("/api/v3/klines"))
                print("== 50 concurrent requests for one uncached range")
                params = {
                    "symbol": "ETH/USDT",
                    "timeframe": "1h",
                    "start": "2023-01-01",
                    "end": "2023-01-31",
                }
                t = time.perf_counter()
                rs = await asyncio.gather(*(c.get("/ohlcv", params=params) for _ in range(50)))
                took = time.perf_counter() - t
                assert all(r.status_code == 200 for r in rs)
                calls = stub.calls("/api/v3/klines")[klines_before:]
                print(
                    f"  upstream klines calls: {len(calls)} (target exactly 1); all 50 answered in {took * 1000:.0f} ms"
                )
    finally:
        await redis.aclose()
        stub.stop()


def bench_resample() -> None:
    print("== resampling 1,000,000 one-minute bars to 1h")
    n = 1_000_000
    rng = np.random.default_rng(1)
    ts = (
        int(pd.Timestamp("2022-01-01", tz="UTC").value)
        + np.arange(n, dtype=np.int64) * 60_000_000_000
    )
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-4, n)))
    bars = Bars.from_arrays(ts, close, close * 1.001, close * 0.999, close, rng.random(n))
    df = bars.to_frame()
    p50s: dict[str, float] = {}
    for market in ("crypto", "us_equity"):
        info = market_info(market)
        ours = []
        for _ in range(5):
            t = time.perf_counter()
            out = resample(bars, "1m", "1h", info)
            ours.append(time.perf_counter() - t)
        p50s[market] = p50(ours)
        print(
            f"  vt resample ({market}, {info.timezone}): p50 {p50(ours):.0f} ms -> {len(out):,} bars (target <= 1000 ms)"
        )
    ref = []
    for _ in range(5):
        t = time.perf_counter()
        df.resample("1h").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        )
        ref.append(time.perf_counter() - t)
    print(
        f"  reference pandas resample().agg(): p50 {p50(ref):.0f} ms | ratios vt/pandas: crypto {p50s['crypto'] / p50(ref):.2f}x, session-aware us_equity {p50s['us_equity'] / p50(ref):.2f}x"
    )


def main() -> None:
    bench_resample()
    backing = start_backing(ROOT / "var" / "bench-md", "postgres", pg_port=55533, redis_port=56480)
    base, _, _ = backing.database_url.rpartition("/")
    server = f"{base}/postgres"
    name = f"vt_bench_md_{os.getpid()}"
    db_url = ensure_database(server, name)
    from vt_db.migrate import upgrade

    upgrade(db_url)
    redis_url = (
        backing.redis_url.rsplit("/", 1)[0] + "/0" if backing.embedded_redis else backing.redis_url
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(bench_service(db_url, redis_url, Path(tmp)))
    finally:
        drop_database(server, name)
        backing.stop()


if __name__ == "__main__":
    main()
