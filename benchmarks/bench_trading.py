"""Benchmark: the trading service's hot paths, against the in-process engine call.

Run with ``uv run python benchmarks/bench_trading.py [--bars N]`` (part of ``make bench``).
Uses the PostgreSQL/Redis servers of DATABASE_URL / REDIS_URL when set, else the embedded ones
of the test suites (var/test/, registered like a test session); a throwaway database (migrated)
and a free Redis database are used and removed. No HTTP: the service functions are called in
this process with a real ``TradingContext`` (PostgreSQL, Redis events); strategy versions and
backtest runs, which the service normally reads from its siblings, come from a small in-process
stand-in, and the bars are synthetic (a seeded random walk), so the figures are the trading
service's own cost.

Prints, with ratios against the reference:

0. reference: ``vt_engine.live.model_state`` in-process — one decision of a daily SMA crossover
   over three years of bars (what every bar step asks the engine for, twice: open and close);
1. bar close -> order at the paper broker, with 50 running deployments of one account: the bar
   step of each deployment (open phase with the order at the paper broker, fills, positions,
   close phase with the target snapshot), p50/p99 per deployment and the whole bar for all 50
   (target p99 <= 50 ms);
2. reconciliation of an account with 1,000 positions (target <= 200 ms), and the pure
   classification alone;
3. kill switch -> every working order cancelled and the flatten submitted for the 50 deployments
   (target <= 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "var" / "numba-cache"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402

from vt_contracts import StrategySpec  # noqa: E402
from vt_contracts.examples import sma_crossover_spec  # noqa: E402
from vt_devstack.embedded import drop_database, ensure_database  # noqa: E402
from vt_devstack.stack import start_backing  # noqa: E402

LOCK_KEY = "vt:test-session-lock"
SYMBOL = "DEMO:BENCH"
DEPLOYMENTS = 50
POSITIONS = 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:8.2f} ms   p99 {pct(values, 0.99) * 1000:8.2f} ms"


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


def bars(days: int = 3 * 252, seed: int = 7) -> pd.DataFrame:
    """A seeded random walk with a visible trend change every few weeks (the SMA trades often)."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2015-01-01", periods=days, tz="UTC")
    drift = np.sin(np.arange(days) / 9.0) * 0.004
    close = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.01, days)))
    open_ = close * (1 + rng.normal(0, 0.003, days))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.004, days)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.004, days)))
    volume = rng.integers(1_000_000, 5_000_000, days).astype(float)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


class SiblingStandIn:
    """What the trading service reads from strategy-ai-worker and backtest-engine, in process."""

    def __init__(self, spec: StrategySpec, result: dict[str, Any]) -> None:
        self.spec = spec
        self.result = result

    async def strategy_version(self, user_id: str, strategy_id: str, version: int | None) -> Any:
        return {"version": 1, "spec": self.spec.model_dump(mode="json")}

    async def backtest_run(self, user_id: str, run_id: str) -> dict[str, Any]:
        return {"id": run_id, "status": "succeeded", "result": self.result}

    async def aclose(self) -> None:
        return None


def engine_reference(spec: StrategySpec, frame: pd.DataFrame, runs: int) -> list[float]:
    from vt_engine.live import model_state

    start = frame.index[60]
    through = frame.index[-1]
    model_state(
        spec, {SYMBOL: frame}, capital=100_000.0, start=start, through=through, phase="close"
    )
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model_state(
            spec, {SYMBOL: frame}, capital=100_000.0, start=start, through=through, phase="close"
        )
        out.append(time.perf_counter() - t0)
    return out


async def bench(db_url: str, redis_url: str, measured_bars: int) -> None:
    from redis.asyncio import Redis

    import vt_engine
    from vt_contracts.trading import BrokerAccountCreate, DeploymentCreate, RiskLimits
    from vt_trading.accounts import service as accounts
    from vt_trading.context import TradingContext
    from vt_trading.deployments import service as deployments
    from vt_trading.ledger import reconcile as rec
    from vt_trading.runner.step import BarStep
    from vt_trading.settings import Settings
    from vt_trading.trading import reconcile as reconciling
    from vt_trading.trading import service as trading

    frame = bars()
    spec = StrategySpec.model_validate(
        sma_crossover_spec(
            SYMBOL,
            fast=3,
            slow=8,
            period={"start": str(frame.index[0].date()), "end": str(frame.index[-1].date())},
        )
    )
    print("reference: engine model_state in-process (warm) ...", flush=True)
    vt_engine.warmup()
    reference = engine_reference(spec, frame, 30)
    result = vt_engine.run_backtest(spec, {SYMBOL: frame}).model_dump(mode="json")

    user_id = uuid.uuid4()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, %s, 'x')",
            (str(user_id), f"{user_id}@bench.test"),
        )
    settings = Settings(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        TRADING_ENVIRONMENT="paper",
        TRADING_RUNNER=False,
    )
    rclient = Redis.from_url(redis_url)
    ctx = await TradingContext.create(settings, rclient)
    await ctx.upstreams.aclose()
    ctx.upstreams = SiblingStandIn(spec, result)  # type: ignore[assignment]
    try:
        async with ctx.sessionmaker() as session, session.begin():
            account = await accounts.create_account(
                session,
                ctx,
                user_id,
                BrokerAccountCreate(
                    name="bench",
                    starting_cash=Decimal("100000000"),
                    risk_limits=RiskLimits.non_binding(),
                ),
            )
            account_id = account.id
            dep_ids = []
            for i in range(DEPLOYMENTS):
                dep = await deployments.create_deployment(
                    session,
                    ctx,
                    user_id,
                    DeploymentCreate(
                        strategy_id=f"bench-{i}",
                        backtest_id=f"run-{i}",
                        capital=Decimal("100000"),
                        account_id=str(account_id),
                        acknowledge_failed_gates=True,
                        replay={"start": frame.index[60].date(), "end": frame.index[-1].date()},
                    ),
                )
                dep_ids.append(dep.id)

        # 1. bar close -> order at the paper broker, 50 running deployments of one account
        print(f"1. bar steps: {DEPLOYMENTS} deployments x {measured_bars} bars ...", flush=True)
        step = BarStep(ctx, None)
        data = {SYMBOL: frame}
        # end the measured window on the bar of an entry, so that the kill switch below has a
        # position to flatten in every deployment
        entries = [
            frame.index.get_loc(pd.Timestamp(t["entry_time"]))
            for t in result["trades"]
            if frame.index.get_loc(pd.Timestamp(t["entry_time"])) >= 60 + 5 + measured_bars
        ]
        last = entries[0] if entries else 60 + 4 + measured_bars
        first = last - (5 + measured_bars) + 1
        steps: list[float] = []
        per_bar: list[float] = []
        orders = 0
        for k, t in enumerate(frame.index[first : first + 5 + measured_bars]):
            bar_t0 = time.perf_counter()
            for did in dep_ids:
                t0 = time.perf_counter()
                outcome = await step.run(did, t, data, replay=True)
                elapsed = time.perf_counter() - t0
                if outcome.skipped and os.environ.get("VT_BENCH_DEBUG"):
                    print("skipped:", t, outcome.skipped)
                if k >= 5:  # the first bars warm the pools and caches
                    steps.append(elapsed)
                    orders += outcome.orders
            if k >= 5:
                per_bar.append(time.perf_counter() - bar_t0)

        # 3. kill switch: cancel every working order and submit the flatten for all 50
        async with ctx.sessionmaker() as session:
            from vt_db.trading_models import BrokerAccountRow

            account_row = await session.get(BrokerAccountRow, account_id)
            assert account_row is not None
        t0 = time.perf_counter()
        flatten = await trading.kill(ctx, user_id, account_row, "benchmark")
        kill_seconds = time.perf_counter() - t0

        # 2. reconciliation of an account with 1,000 positions (ours and the paper venue's)
        print(f"2. reconciliation: {POSITIONS} positions ...", flush=True)
        async with ctx.sessionmaker() as session, session.begin():
            recon = await accounts.create_account(
                session,
                ctx,
                user_id,
                BrokerAccountCreate(
                    name="bench-reconcile",
                    starting_cash=Decimal("100000000"),
                    risk_limits=RiskLimits.non_binding(),
                ),
            )
            recon_id = recon.id
            held: dict[str, str] = {}
            for i in range(POSITIONS):
                symbol = f"BENCH:{i:04d}"
                qty = Decimal(10 + i % 7)
                await trading.manual_trade(
                    session,
                    user_id,
                    recon,
                    deployment_id=None,
                    symbol=symbol,
                    side="buy",
                    qty=qty,
                    price=Decimal("100"),
                    fees=Decimal("0"),
                    ts=frame.index[-1].to_pydatetime(),
                    reason="benchmark position",
                )
                held[symbol] = str(qty)
            from vt_db.trading_models import PaperBalanceRow

            balance = await session.get(PaperBalanceRow, recon_id)
            assert balance is not None
            balance.positions = held  # the venue holds the same: every position matches
        recon_times = []
        for _ in range(7):
            t0 = time.perf_counter()
            report = await reconciling.reconcile_account(
                ctx, recon_id, actor=str(user_id), reason="benchmark"
            )
            recon_times.append(time.perf_counter() - t0)
        matched = sum(1 for item in report.items if item.kind == "matched")
        positions = {s: Decimal(q) for s, q in held.items()}
        side = rec.ReconcileInput(
            positions=positions,
            open_orders=(),
            executions=(),
            known_orders=frozenset(),
            pending=frozenset(),
        )
        pure = []
        for _ in range(30):
            t0 = time.perf_counter()
            rec.classify(side, side, Decimal(0))
            pure.append(time.perf_counter() - t0)
    finally:
        await ctx.aclose()
        await rclient.aclose()

    ref = pct(reference, 0.5)
    print()
    print(f"0. engine model_state in-process (reference)  {fmt(reference)}")
    print(
        f"1. bar close -> order at the paper broker, {DEPLOYMENTS} deployments, per deployment "
        f"{fmt(steps)}  (p99 target <= 50 ms; {orders} orders in {measured_bars} bars) "
        f"ratio p50 {pct(steps, 0.5) / ref:5.1f}x reference"
    )
    print(f"   the whole bar for all {DEPLOYMENTS} deployments            {fmt(per_bar)}")
    print(
        f"2. reconciliation of {POSITIONS} positions ({matched} matched)        {fmt(recon_times)}  "
        f"(target <= 200 ms) ratio p50 {pct(recon_times, 0.5) / ref:5.1f}x reference"
    )
    print(f"   pure classification of {POSITIONS} positions              {fmt(pure)}")
    print(
        f"3. kill switch, {DEPLOYMENTS} deployments: all cancelled + {len(flatten)} flatten orders "
        f"submitted in {kill_seconds * 1000:.1f} ms (target <= 1 s) "
        f"ratio {kill_seconds / ref:5.1f}x reference"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=10, help="bars measured (after 5 warm-up bars)")
    args = parser.parse_args()
    sessions = ROOT / "var" / "test" / "sessions"
    backing = None
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        server = os.environ["DATABASE_URL"].rpartition("/")[0] + "/postgres"
        redis_base = os.environ["REDIS_URL"].rpartition("/")[0]
    else:
        sessions.mkdir(parents=True, exist_ok=True)
        (sessions / str(os.getpid())).touch()
        backing = start_backing(
            ROOT / "var" / "test",
            "postgres",
            pg_port=int(os.environ.get("VT_TEST_PG_PORT", "55433")),
            redis_port=int(os.environ.get("VT_TEST_REDIS_PORT", "56380")),
        )
        server = backing.database_url.rpartition("/")[0] + "/postgres"
        redis_base = backing.redis_url.rpartition("/")[0]
    name = f"vt_bench_trading_{os.getpid()}"
    db_url = ensure_database(server, name)
    redis_url = claim_redis_db(redis_base)
    try:
        from vt_db.migrate import upgrade

        upgrade(db_url)
        asyncio.run(bench(db_url, redis_url, args.bars))
    finally:
        drop_database(server, name)
        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        client.close()
        if backing is not None:
            (sessions / str(os.getpid())).unlink(missing_ok=True)
            others = [p for p in sessions.iterdir() if p.name.isdigit() and _alive(int(p.name))]
            if not others and os.environ.get("VT_KEEP_TEST_SERVERS") != "1":
                backing.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    sys.exit(main())
