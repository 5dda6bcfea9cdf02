"""Benchmark: one sandboxed run of a typical strategy on ~10 years of daily bars.

Run with ``uv run python benchmarks/bench_sandbox.py [--runs N]``. Prints p50/p95 for
the sandboxed run (fresh process each time, start-up included) and two references
measured in the same run: the same function executed directly in-process, and a bare
``python -c pass`` subprocess start.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from vt_sandbox import check_code, run_strategy

STRATEGY = """
import numpy as np
import pandas as pd


def rsi(close, period):
    delta = close.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / period, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / period, adjust=False).mean()
    return 100 - 100 / (1 + gain / loss)


def generate_signals(data, params):
    fast = data.close.rolling(params.get("fast", 20)).mean()
    slow = data.close.rolling(params.get("slow", 50)).mean()
    r = rsi(data.close, 14)
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1)) & (r < 70)
    exits = ((fast < slow) & (fast.shift(1) >= slow.shift(1))) | (r > 80)
    return entries.fillna(False), exits.fillna(False)
"""


def make_data(n: int = 2520) -> pd.DataFrame:
    idx = pd.date_range("2015-01-02", periods=n, freq="B", tz="UTC")
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
    return pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=idx,
    )


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    data = make_data()
    params = {"fast": 20, "slow": 50}
    assert check_code(STRATEGY).ok

    run_strategy(STRATEGY, data, params)  # warm-up (fills the bytecode cache if needed)
    cpu_before = _children_cpu()
    sandboxed = timed(lambda: run_strategy(STRATEGY, data, params), args.runs)
    child_cpu_ms = (_children_cpu() - cpu_before) / args.runs * 1000

    namespace: dict[str, Any] = {}
    exec(compile(STRATEGY, "strategy", "exec"), namespace)
    direct = timed(lambda: namespace["generate_signals"](data, params), args.runs)
    bare = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.runs)
    check = timed(lambda: check_code(STRATEGY), args.runs)

    rows = [
        ("sandboxed run_strategy", sandboxed),
        ("direct in-process call", direct),
        ("bare `python -c pass`", bare),
        ("check_code (static only)", check),
    ]
    print(f"{len(data):,} daily bars, {args.runs} runs each")
    for label, values in rows:
        print(f"  {label:<28} p50 {pct(values, 50):8.1f} ms   p95 {pct(values, 95):8.1f} ms")
    print(f"  sandboxed child CPU time (user+sys) mean {child_cpu_ms:8.1f} ms per run")
    print(f"  host load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    p50 = statistics.median(sandboxed)
    print(f"  sandbox / direct      p50 ratio: {p50 / statistics.median(direct):8.1f}x")
    print(f"  sandbox / bare python p50 ratio: {p50 / statistics.median(bare):8.1f}x")
    print(f"  target p50 <= 500 ms: {'OK' if p50 <= 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
