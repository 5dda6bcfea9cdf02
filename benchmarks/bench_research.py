"""Insight latency from cached data (market data and news already in the service's caches).

Run: uv run python benchmarks/bench_research.py [--n 200]
Prints p50/p95 of `InsightService.compute` for one symbol and for `market:us`, and the ratio
to two references: the 100 ms budget, and the bare price computations (`regime.analyse`) on the
same frame. No thresholds here; the numbers go into docs/research.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from vt_contracts import DataQualityReport, OHLCVFrame
from vt_research import regime
from vt_research.app import build_research
from vt_research.settings import Settings

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>
<item><title>Apple shares jump after profit beats estimates</title></item>
<item><title>Microsoft shares fall after weak cloud growth</title></item>
<item><title>Stocks tumble as recession fears grip markets</title></item>
</channel></rss>"""


def series() -> dict[str, pd.DataFrame]:
    idx = pd.bdate_range("2000-01-03", "2013-12-31", tz="UTC")
    out = {}
    common = np.random.default_rng(1).normal(0, 0.008, len(idx))
    for i, sym in enumerate(["SAMPLE:AAPL", "SAMPLE:MSFT", "SAMPLE:IBM", "SAMPLE:GOOG"]):
        close = 50 * np.exp(
            np.cumsum(common + np.random.default_rng(i).normal(3e-4, 0.012, len(idx)))
        )
        out[sym] = pd.DataFrame({"close": close}, index=idx)
    return out


def handler(data: dict[str, pd.DataFrame]) -> httpx.MockTransport:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".xml"):
            return httpx.Response(200, content=RSS)
        symbol = request.url.params["symbol"]
        df = data.get(symbol)
        if df is None:
            return httpx.Response(404, json={"detail": "unknown"})
        start = pd.Timestamp(request.url.params["start"], tz="UTC")
        df = df[df.index >= start]
        c = df["close"].to_numpy()
        frame = OHLCVFrame(
            symbol=symbol,
            timeframe="1d",
            provider="sample",
            timestamps=[t.to_pydatetime() for t in df.index],
            open=c.tolist(),
            high=(c * 1.01).tolist(),
            low=(c * 0.99).tolist(),
            close=c.tolist(),
            volume=[1.0] * len(c),
            quality=DataQualityReport(bars=len(c)),
        )
        return httpx.Response(200, content=frame.model_dump_json())

    return httpx.MockTransport(respond)


async def timed(fn: object, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t) * 1000)
    return out


async def main(n: int) -> None:
    data = series()
    transport = handler(data)
    settings = Settings(
        VT_NEWS_FEEDS=["http://news.local/feed.xml"],
        VT_NEWS_MAX_AGE_HOURS=24 * 365 * 30,
        VT_NLTK_DATA=Path(tempfile.mkdtemp()) / "nltk",
        VT_RESEARCH_VIX=False,
    )
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://md.local") as md,
        httpx.AsyncClient(transport=transport) as news,
    ):
        service = build_research(settings, md, news)
        await service.sentiment.warm()
        for symbol in ("SAMPLE:AAPL", "market:us"):
            await service.compute(symbol)  # fills the caches
        sym = await timed(lambda: service.compute("SAMPLE:AAPL"), n)
        mkt = await timed(lambda: service.compute("market:us"), n)
        hist = await service.market.history(
            "SAMPLE:AAPL", datetime(2010, 11, 1, tzinfo=UTC), datetime.now(UTC)
        )

        async def bare() -> None:
            regime.analyse(hist.frame, 252)

        ref = await timed(bare, n)

    def p(values: list[float], q: float) -> float:
        return float(np.percentile(values, q))

    ref50 = statistics.median(ref)
    print(f"insight SAMPLE:AAPL (cached): p50 {p(sym, 50):.2f} ms  p95 {p(sym, 95):.2f} ms")
    print(f"insight market:us  (cached): p50 {p(mkt, 50):.2f} ms  p95 {p(mkt, 95):.2f} ms")
    print(f"reference regime.analyse on one frame: p50 {ref50:.2f} ms")
    print(
        f"ratio symbol/budget(100 ms): {p(sym, 50) / 100:.3f}   market/budget: {p(mkt, 50) / 100:.3f}"
    )
    print(
        f"ratio symbol/analyse: {p(sym, 50) / ref50:.2f}x   market/analyse: {p(mkt, 50) / ref50:.2f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    asyncio.run(main(parser.parse_args().n))
