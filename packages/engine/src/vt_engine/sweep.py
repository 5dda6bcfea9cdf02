"""Vectorised parameter sweeps.

* :func:`sma_crossover_grid` - the fused one-pass numba kernel for the classic long-only SMA
  crossover (all-in, next-open fills, whole or fractional units). Rolling sums are
  precomputed once; every (fast, slow) pair is simulated and scored in one loop
  (parallel over pairs). Tests prove it equal to ``run_backtest`` on the same spec.
* :func:`sweep_spec` - any StrategySpec over a grid of ``'indicator_id.field'`` values,
  through the general simulator.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vt_contracts.strategy import StrategySpec
from vt_engine import metrics as mx
from vt_engine.errors import EngineError

__all__ = ["sma_crossover_grid", "sma_pairs", "sweep_spec"]


def sma_pairs(lo: int = 5, hi: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """All (fast, slow) with lo <= fast < slow <= hi."""
    f, s = np.triu_indices(hi - lo + 1, k=1)
    return (f + lo).astype(np.int64), (s + lo).astype(np.int64)


def sma_crossover_grid(
    frame: pd.DataFrame,
    fast: np.ndarray | list[int],
    slow: np.ndarray | list[int],
    *,
    initial_capital: float = 100_000.0,
    commission: float = 0.001,
    commission_fixed: float = 0.0,
    slippage: float = 0.0,
    fractional: bool = False,
    periods_per_year: float = 252.0,
    start_bar: int = 0,
) -> pd.DataFrame:
    """Score every (fast[i], slow[i]) SMA crossover on ``frame`` (open/close columns).

    Conventions equal ``run_backtest`` with a long-only crosses_above/crosses_below spec,
    100% percent-of-equity sizing and next-open fills; costs are FRACTIONS here.
    Returns one row per pair: fast, slow, total_return_pct, sharpe_ratio, max_drawdown_pct,
    trade_count, final_equity, win_rate_pct, profit_factor."""
    from vt_engine._kernels import sma_grid_nb

    f = np.asarray(fast, dtype=np.int64)
    s = np.asarray(slow, dtype=np.int64)
    if f.shape != s.shape or f.ndim != 1:
        raise EngineError("bad_parameter", "fast and slow must be 1-d arrays of the same length")
    if len(f) and (f.min() < 1 or s.min() < 1):
        raise EngineError("bad_parameter", "SMA windows must be at least 1")
    # writable copies: numba specialises on read-only arrays (pandas 3 returns those)
    close = np.array(frame["close"].to_numpy(dtype=np.float64), order="C", copy=True)
    open_ = np.array(frame["open"].to_numpy(dtype=np.float64), order="C", copy=True)
    if len(close) < 2:
        raise EngineError("insufficient_bars", "the sweep needs at least two bars")
    out = sma_grid_nb(
        open_,
        close,
        f,
        s,
        float(initial_capital),
        float(commission),
        float(commission_fixed),
        float(slippage),
        bool(fractional),
        int(start_bar),
        float(periods_per_year),
    )
    trades = out[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        win_rate = np.where(trades > 0, out[:, 5] / trades * 100.0, np.nan)
        pf = np.where(out[:, 7] > 0, out[:, 6] / out[:, 7], np.nan)
    return pd.DataFrame(
        {
            "fast": f,
            "slow": s,
            "total_return_pct": out[:, 0],
            "sharpe_ratio": out[:, 1],
            "max_drawdown_pct": out[:, 2],
            "trade_count": trades.astype(np.int64),
            "final_equity": out[:, 4],
            "win_rate_pct": win_rate,
            "profit_factor": pf,
        }
    )


def sweep_spec(
    spec: StrategySpec,
    data: Mapping[str, pd.DataFrame],
    parameters: Mapping[str, list[float]],
) -> pd.DataFrame:
    """Backtest every combination of ``parameters`` (keys like ``'fast.window'``) over the
    spec's period; one row per combination with the headline metrics. Invalid combinations
    (e.g. MACD fast >= slow) are skipped."""
    from vt_engine.compiler import compile_frames
    from vt_engine.engine import prepare, sim_inputs
    from vt_engine.simulator import simulate
    from vt_engine.validation import _reprepare, apply_params, grid

    base = prepare(spec, data)
    rows: list[dict[str, float | int | None]] = []
    for combo in grid(parameters):
        try:
            s = apply_params(spec, combo)
            p = _reprepare(base, s)
        except EngineError:
            continue
        sigs = compile_frames(s, p.frames)
        inp = sim_inputs(p, sigs)
        sim = simulate(inp, p.cfg)
        eq = sim.equity
        r = mx.bar_returns(eq, p.cfg.init_cash)
        ts = mx.trade_stats(sim.trades)
        rows.append(
            {
                **combo,
                "total_return_pct": float(eq[-1] / p.cfg.init_cash - 1.0) * 100.0,
                "sharpe_ratio": mx.sharpe(r, p.ppy),
                "max_drawdown_pct": float(-mx.drawdown_pct(eq, p.cfg.init_cash).min()),
                "trade_count": ts["trade_count"],
                "profit_factor": ts["profit_factor"],
                "final_equity": float(eq[-1]),
            }
        )
    return pd.DataFrame(rows)
