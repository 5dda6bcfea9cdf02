"""Engine benchmarks (a)-(e): medians and ratios against references run in this process.

    uv run python benchmarks/bench_engine.py [--quick]

References: vectorbt alone (Portfolio.from_signals on the same signals + the headline
metrics) and backtesting.py (Backtest.run / optimize). No thresholds: this prints numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "var" / "numba-cache"))


def ohlcv(n: int, seed: int = 0, freq: str = "B", start: str = "2010-01-04") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vol = 0.015 if freq in ("B", "D") else 0.0008
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0002, vol, n)))
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1] * np.exp(rng.normal(0, vol / 3, n - 1))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, vol / 2, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, vol / 2, n)))
    idx = pd.date_range(start, periods=n, freq=freq, tz="UTC")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1e6}, index=idx
    )


def median_time(fn: Callable[[], Any], repeat: int, warm: int = 1) -> float:
    for _ in range(warm):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Median seconds per function, timed round-robin so each sees the same machine load."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def sma_spec(symbols: list[str], fast: int = 20, slow: int = 50, **over: Any) -> Any:
    from vt_contracts.strategy import StrategySpec

    def cross(kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "left": {"kind": "indicator", "id": "fast"},
            "right": {"kind": "indicator", "id": "slow"},
        }

    doc: dict[str, Any] = {
        "name": "bench",
        "universe": {"symbols": symbols},
        "indicators": [
            {"kind": "sma", "id": "fast", "window": fast},
            {"kind": "sma", "id": "slow", "window": slow},
        ],
        "entry": cross("crosses_above"),
        "exit": cross("crosses_below"),
        "costs": {"commission_pct": 0.1, "slippage_pct": 0.0},
    }
    doc.update(over)
    return StrategySpec.model_validate(doc)


def vbt_metrics(pf: Any, ppy: float) -> tuple[Any, ...]:
    """Headline metrics from a vectorbt portfolio. Sharpe is computed from ``pf.returns()`` with
    numpy: vectorbt 1.2's own ``sharpe_ratio()`` takes seconds on long series here."""
    r = np.asarray(pf.returns())
    sharpe = r.mean(axis=0) / r.std(axis=0, ddof=1) * np.sqrt(ppy)
    return pf.total_return(), sharpe, pf.max_drawdown(), pf.trades.count()


def vbt_sma(
    frames: dict[str, pd.DataFrame], fast: int, slow: int, ppy: float = 252.0, light: bool = False
) -> Any:
    """vectorbt alone: SMA signals (pandas rolling), Portfolio.from_signals with next-open
    fills and whole units, headline metrics."""
    import vectorbt as vbt

    close = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    open_ = pd.DataFrame({s: f["open"] for s, f in frames.items()})
    f = close.rolling(fast).mean()
    s = close.rolling(slow).mean()
    ent = (f > s) & (f.shift(1) <= s.shift(1))
    ex = (f < s) & (f.shift(1) >= s.shift(1))
    pf = vbt.Portfolio.from_signals(
        close,
        ent.shift(1, fill_value=False),
        ex.shift(1, fill_value=False),
        price=open_,
        size=np.inf,
        fees=0.001,
        size_granularity=1.0,
        init_cash=100_000.0,
        cash_sharing=len(frames) > 1,
        group_by=True if len(frames) > 1 else None,
        freq="1D",
    )
    if light:  # (b): the simulation and its total return only
        return pf.total_return()
    return vbt_metrics(pf, ppy)


def _bt_strategy() -> Any:
    from backtesting import Strategy

    class BtSmaCross(Strategy):
        n1 = 20
        n2 = 50

        def init(self) -> None:
            def sma(x: Any, n: int) -> Any:
                return pd.Series(x).rolling(n).mean().to_numpy()

            self.f = self.I(sma, self.data.Close, self.n1)
            self.s = self.I(sma, self.data.Close, self.n2)

        def next(self) -> None:
            f, s = self.f, self.s
            if len(f) < 2:
                return
            if not self.position and f[-2] <= s[-2] and f[-1] > s[-1]:
                self.buy()
            elif self.position and f[-2] >= s[-2] and f[-1] < s[-1]:
                self.position.close()

    # module-level name so backtesting.py's optimize() can pickle it for its process pool
    BtSmaCross.__qualname__ = "BtSmaCross"
    globals()["BtSmaCross"] = BtSmaCross
    return BtSmaCross


def bt_class(fast: int, slow: int) -> Any:
    cls = globals().get("BtSmaCross") or _bt_strategy()
    cls.n1 = fast
    cls.n2 = slow
    return cls


def bt_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns=str.capitalize)
    out.index = out.index.tz_localize(None)
    return out


def bt_run(df: pd.DataFrame, fast: int = 20, slow: int = 50) -> Any:
    from backtesting import Backtest

    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        bt = Backtest(bt_frame(df), bt_class(fast, slow), cash=100_000, commission=0.001)
        return bt.run()


def row(name: str, ours: float, refs: dict[str, float], target: str) -> None:
    parts = [f"{name:<34} ours {ours * 1000:10.1f} ms"]
    for k, v in refs.items():
        parts.append(f"{k} {v * 1000:10.1f} ms (x{v / ours:7.1f})")
    parts.append(f"target {target}")
    print(" | ".join(parts))


def bench_a(repeat: int) -> None:
    from vt_engine import run_backtest

    df = ohlcv(2520, seed=1)
    spec = sma_spec(["AAA"])
    data = {"AAA": df}
    t = interleaved(
        {
            "ours": lambda: run_backtest(spec, data),
            "vbt": lambda: vbt_sma(data, 20, 50),
            "bt": lambda: bt_run(df),
        },
        repeat,
    )
    row(
        "(a) 10y daily SMA cross + metrics",
        t["ours"],
        {"vectorbt": t["vbt"], "backtesting.py Backtest.run": t["bt"]},
        "<= 20 ms, < backtesting.py",
    )


def bench_b(repeat: int) -> None:
    from vt_engine import run_backtest

    df = ohlcv(1_000_000, seed=2, freq="min", start="2022-01-01")
    spec = sma_spec(
        ["BTC/USDT"],
        50,
        200,
        universe={"symbols": ["BTC/USDT"], "market": "crypto", "timeframe": "1m"},
    )
    data = {"BTC/USDT": df}
    ours = median_time(lambda: run_backtest(spec, data), repeat)
    vbt = median_time(lambda: vbt_sma(data, 50, 200, 365 * 1440, light=True), 3)
    row(
        "(b) 1,000,000 one-minute bars",
        ours,
        {"vectorbt (simulation + total return only)": vbt},
        "<= 300 ms",
    )


def bench_c(repeat: int, bt_pairs: int) -> None:
    import vectorbt as vbt

    from vt_engine.sweep import sma_crossover_grid, sma_pairs

    df = ohlcv(2100, seed=3)
    fast, slow = sma_pairs(5, 100)

    def ours_fn() -> Any:
        return sma_crossover_grid(df, fast, slow, commission=0.001)

    ours_fn()
    tracemalloc.start()
    ours = median_time(ours_fn, repeat, warm=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    def vbt_fn() -> Any:
        close = df["close"]
        ma = np.column_stack([close.rolling(w).mean().to_numpy() for w in range(5, 101)])
        fa = ma[:, fast - 5]
        sa = ma[:, slow - 5]
        prev_f = np.vstack([np.full((1, len(fast)), np.nan), fa[:-1]])
        prev_s = np.vstack([np.full((1, len(fast)), np.nan), sa[:-1]])
        ent = (fa > sa) & (prev_f <= prev_s)
        ex = (fa < sa) & (prev_f >= prev_s)
        ent = np.vstack([np.zeros((1, len(fast)), bool), ent[:-1]])
        ex = np.vstack([np.zeros((1, len(fast)), bool), ex[:-1]])
        cols = pd.MultiIndex.from_arrays([fast, slow], names=["fast", "slow"])
        pf = vbt.Portfolio.from_signals(
            pd.DataFrame(
                np.repeat(close.to_numpy()[:, None], len(fast), 1), index=df.index, columns=cols
            ),
            pd.DataFrame(ent, index=df.index, columns=cols),
            pd.DataFrame(ex, index=df.index, columns=cols),
            price=np.repeat(df["open"].to_numpy()[:, None], len(fast), 1),
            size=np.inf,
            fees=0.001,
            size_granularity=1.0,
            init_cash=100_000.0,
            freq="1D",
        )
        return vbt_metrics(pf, 252.0)

    vbt_t = median_time(vbt_fn, max(1, repeat // 3))

    from backtesting import Backtest

    rng = np.random.default_rng(0)
    pick = rng.choice(len(fast), size=bt_pairs, replace=False)
    bt_df = bt_frame(df)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        bt = Backtest(bt_df, bt_class(10, 30), cash=100_000, commission=0.001)
        t0 = time.perf_counter()
        bt.optimize(
            n1=sorted({int(fast[i]) for i in pick}),
            n2=sorted({int(slow[i]) for i in pick}),
            constraint=lambda p: (p.n1, p.n2) in {(int(fast[i]), int(slow[i])) for i in pick},
            maximize="Sharpe Ratio",
            max_tries=None,
            return_heatmap=False,
        )
        bt_t = (time.perf_counter() - t0) / bt_pairs * len(fast)
    row(
        "(c) SMA grid 4,560 pairs x 2,100 bars",
        ours,
        {"vectorbt": vbt_t, f"backtesting.py optimize ({bt_pairs} pairs, extrapolated)": bt_t},
        ">= 100x backtesting.py, <= 1 s",
    )
    print(f"    (c) peak memory of our sweep (tracemalloc): {peak / 1e6:.1f} MB (limit 1 GB)")


def bench_d(repeat: int) -> None:
    from vt_engine import run_backtest

    frames = {f"S{i:03d}": ohlcv(2520, seed=100 + i) for i in range(100)}
    spec = sma_spec(list(frames))
    ours = median_time(lambda: run_backtest(spec, frames), repeat)
    vbt = median_time(lambda: vbt_sma(frames, 20, 50), max(3, repeat // 2))
    subset = list(frames)[:10]
    t0 = time.perf_counter()
    for s in subset:
        bt_run(frames[s])
    bt = (time.perf_counter() - t0) * 10
    row(
        "(d) 100 assets x 10y daily",
        ours,
        {"vectorbt": vbt, "backtesting.py (10 runs x10)": bt},
        "<= 150 ms",
    )


FRESH = """
import time, os
t0 = time.perf_counter()
import vt_engine
from vt_engine.warm import warmup
w = warmup()
t1 = time.perf_counter()
print(f"{w:.3f} {t1 - t0:.3f}")
"""

FIRST_JOB = """
import time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from vt_engine import run_backtest
from vt_contracts.strategy import StrategySpec
rng = np.random.default_rng(0)
n = 2520
c = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
df = pd.DataFrame({"open": c, "high": c * 1.01, "low": c * 0.99, "close": c, "volume": 1.0},
                  index=pd.date_range("2010-01-04", periods=n, freq="B", tz="UTC"))
x = lambda k: {"kind": k, "left": {"kind": "indicator", "id": "f"}, "right": {"kind": "indicator", "id": "s"}}
spec = StrategySpec.model_validate({"name": "j", "universe": {"symbols": ["A"]},
    "indicators": [{"kind": "sma", "id": "f", "window": 20}, {"kind": "sma", "id": "s", "window": 50}],
    "entry": x("crosses_above"), "exit": x("crosses_below")})
run_backtest(spec, {"A": df})
print(f"{time.perf_counter() - t0:.3f}")
"""


def bench_e() -> None:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cold:
        env_cold = {**env, "NUMBA_CACHE_DIR": cold}
        out = subprocess.run(
            [sys.executable, "-c", FRESH], env=env_cold, capture_output=True, text=True, check=True
        )
        w_cold, total_cold = map(float, out.stdout.split())
    warm_runs: list[tuple[float, ...]] = []
    first_runs: list[float] = []
    for _ in range(3):  # medians of three fresh processes (the machine is shared)
        out = subprocess.run(
            [sys.executable, "-c", FRESH], env=env, capture_output=True, text=True, check=True
        )
        warm_runs.append(tuple(map(float, out.stdout.split())))
        out = subprocess.run(
            [sys.executable, "-c", FIRST_JOB], env=env, capture_output=True, text=True, check=True
        )
        first_runs.append(float(out.stdout.strip()))
    w_warm = statistics.median(r[0] for r in warm_runs)
    total_warm = statistics.median(r[1] for r in warm_runs)
    first = statistics.median(first_runs)
    print(
        f"(e) warmup(): cold cache {w_cold:.2f} s (process {total_cold:.2f} s) | "
        f"kept cache {w_warm:.2f} s (process {total_warm:.2f} s) | "
        f"first job in a fresh worker, no warmup, kept cache: {first:.2f} s "
        f"(medians of 3 processes) | target <= 5 s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--only", default="abcde")
    args = ap.parse_args()
    rep = 5 if args.quick else 15
    print(f"engine benchmarks; {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    from vt_engine import ENGINE_VERSION, warmup

    print(ENGINE_VERSION, f"warmup {warmup():.2f} s")
    if "a" in args.only:
        bench_a(rep * 2)
    if "b" in args.only:
        bench_b(max(3, rep // 3))
    if "c" in args.only:
        bench_c(max(3, rep // 3), 30 if args.quick else 100)
    if "d" in args.only:
        bench_d(rep)
    if "e" in args.only:
        bench_e()


if __name__ == "__main__":
    main()
