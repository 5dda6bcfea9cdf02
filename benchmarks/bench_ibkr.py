"""Benchmark: the IBKR adapter against the fake TWS (wire protocol, ib_async unmodified).

Run with ``uv run python benchmarks/bench_ibkr.py [--orders N]`` (part of ``make bench``). Uses
the Redis of REDIS_URL when set (client-id leases only), else the embedded one of the test
suites. The figures are the adapter's and ib_async's own cost over a loopback socket; a real
TWS adds IB's round trip on top.

Prints, with ratios against the reference (one bare ib_async ``reqCurrentTime`` round trip):

1. connect + start-up sync to ``ready`` (lease, handshake, executions, completed orders,
   positions, open orders, account updates);
2. ``place`` of a market order → acknowledged (p50/p99);

ib_async's request pacing (45 requests/s, under TWS's 50 messages/s) is switched off here so
the figures are the adapter's cost; in production it stays on and bounds order bursts.
3. ``executions_since(None)`` with 1,000 executions at the venue;
4. 1102 → reconciliation hook finished (executions since the watermark imported in memory);
5. ``cancel_all`` (the kill switch's ``reqGlobalCancel``) from a second connection over 50
   working orders of the first → IB shows none working.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
import uuid
from decimal import Decimal
from pathlib import Path

from ib_async import IB

from vt_devstack.stack import start_backing
from vt_fakes.tws import FakeTws, OrderScript
from vt_trading.brokers.base import VenueOrder
from vt_trading.brokers.ibkr import ClientIdLeases, ConnectionManager, Endpoint, IbkrBroker, State

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, values: list[float], ref: float) -> str:
    p50, p99 = pct(values, 0.5), pct(values, 0.99)
    return f"{name:<44} p50 {p50 * 1000:8.2f} ms   p99 {p99 * 1000:8.2f} ms   x{p50 / ref:7.1f}"


async def bench(redis_url: str, orders: int) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    tws = await FakeTws().start()
    tag = f"bench-{uuid.uuid4().hex[:8]}"

    def manager() -> ConnectionManager:
        leases = ClientIdLeases(redis, environment="paper", role="trader", endpoint=tag)
        m = ConnectionManager(Endpoint("127.0.0.1", tws.port, "paper"), leases, heartbeat_s=0)
        m.ib.client.MaxRequests = 0  # measure the adapter, not ib_async's pacing
        return m

    try:
        ib = IB()
        ib.client.MaxRequests = 0  # measure the protocol, not ib_async's pacing
        await ib.connectAsync("127.0.0.1", tws.port, clientId=1, timeout=5)
        ref_times = []
        for _ in range(200):
            t0 = time.perf_counter()
            await ib.reqCurrentTimeAsync()
            ref_times.append(time.perf_counter() - t0)
        ib.disconnect()
        ref = pct(ref_times, 0.5)
        print(line("reference: ib_async reqCurrentTime", ref_times, ref))

        connects = []
        for _ in range(20):
            m = manager()
            t0 = time.perf_counter()
            await m.connect()
            connects.append(time.perf_counter() - t0)
            await m.close()
        print(line("connect + start-up sync -> ready", connects, ref))

        broker = IbkrBroker(manager())
        await broker.connect()
        places = []
        for i in range(orders):
            order = VenueOrder(
                f"Pbench-{i}", "AAPL", "buy" if i % 2 else "sell", "market", Decimal(1)
            )
            t0 = time.perf_counter()
            await broker.place(order)
            places.append(time.perf_counter() - t0)
        print(line(f"place market order -> acknowledged (n={orders})", places, ref))

        for i in range(orders, 1000):
            tws.foreign_execution("MSFT", "BUY" if i % 2 else "SELL", Decimal(1))
        pages = []
        for _ in range(5):
            t0 = time.perf_counter()
            page = await broker.executions_since(None)
            pages.append(time.perf_counter() - t0)
        assert len(page.executions) == 1000
        print(line("executions_since(None), 1,000 executions", pages, ref))

        done = asyncio.Event()
        watermark = page.watermark

        async def hook(reason: str) -> None:
            await broker.executions_since(watermark)
            done.set()

        broker.connection.on_ready.append(hook)
        restores = []
        for _ in range(20):
            done.clear()
            tws.lose_connectivity()
            await broker.connection.wait_for(State.DEGRADED)
            t0 = time.perf_counter()
            tws.restore_connectivity()
            await done.wait()
            restores.append(time.perf_counter() - t0)
        print(line("1102 -> reconciliation hook finished", restores, ref))

        # the kill switch's cancel at IB: another connection cancels the runner's orders
        killer = IbkrBroker(manager())
        await killer.connect()
        cancels = []
        for round_ in range(10):
            tws.script(*[OrderScript(kind="rest") for _ in range(50)])
            for i in range(50):
                await broker.place(
                    VenueOrder(
                        f"Pkill-{round_}-{i}",
                        "AAPL",
                        "buy",
                        "limit",
                        Decimal(1),
                        limit_price=Decimal(100),
                    )
                )
            t0 = time.perf_counter()
            cancelled = await killer.cancel_all()
            cancels.append(time.perf_counter() - t0)
            assert len(cancelled) == 50
        print(line("cancel_all: 50 working orders -> confirmed", cancels, ref))
        await killer.close()
        await broker.close()
    finally:
        await tws.stop()
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument(
        "--orders",
        type=int,
        default=300,
        help="market orders placed and timed",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the scripted 1100/1102 would flood stderr
    backing = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        backing = start_backing(
            ROOT / "var" / "test",
            "postgres",
            pg_port=int(os.environ.get("VT_TEST_PG_PORT", "55433")),
            redis_port=int(os.environ.get("VT_TEST_REDIS_PORT", "56380")),
        )
        redis_url = backing.redis_url
    asyncio.run(bench(redis_url, args.orders))


if __name__ == "__main__":
    main()
