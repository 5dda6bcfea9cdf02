"""Performance metrics from an equity array and a trade table (plain numpy, fast).

Conventions:
- bar returns r_t = equity_t / equity_{t-1} - 1, the first one relative to the initial capital;
- Sharpe = mean(r) / std(r, ddof=1) * sqrt(periods_per_year), risk-free rate 0;
- Sortino = mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(periods_per_year);
- volatility = std(r, ddof=1) * sqrt(periods_per_year) * 100;
- CAGR = (final / initial) ** (periods_per_year / bars) - 1 (time measured in bars);
- drawdown from the running peak (the initial capital counts as the first peak);
- trade statistics over CLOSED trades (an open trade at the end is listed but not counted);
- alpha/beta: OLS of strategy bar returns on benchmark bar returns; alpha annualised
  (mean excess per bar x periods_per_year), percent.
Undefined values are None, never NaN/inf.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def num(x: Any) -> float | None:
    """A finite float or None."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def bar_returns(equity: np.ndarray, init_cash: float) -> np.ndarray:
    prev = np.empty_like(equity)
    if len(equity):
        prev[0] = init_cash
        prev[1:] = equity[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = equity / prev - 1.0
    return np.where(np.isfinite(r), r, 0.0)


def drawdown_pct(equity: np.ndarray, init_cash: float) -> np.ndarray:
    """Drawdown from the running peak (the initial capital counts as a peak), percent, <= 0."""
    peak = np.maximum.accumulate(np.maximum(equity, init_cash))
    dd = (equity / peak - 1.0) * 100.0
    return np.minimum(dd, 0.0, out=dd)


def sharpe(r: np.ndarray, ppy: float) -> float | None:
    if len(r) < 2:
        return None
    sd = float(np.std(r, ddof=1))
    if not sd > 1e-15:
        return None
    return num(float(np.mean(r)) / sd * math.sqrt(ppy))


def sortino(r: np.ndarray, ppy: float) -> float | None:
    if len(r) < 2:
        return None
    down = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    if not down > 1e-15:
        return None
    return num(float(np.mean(r)) / down * math.sqrt(ppy))


def cagr_pct(final: float, init_cash: float, bars: int, ppy: float) -> float | None:
    if bars <= 0 or init_cash <= 0 or final <= 0:
        return None
    years = bars / ppy
    try:
        return num(((final / init_cash) ** (1.0 / years) - 1.0) * 100.0)
    except OverflowError:
        return None


def drawdown_stats(
    equity: np.ndarray, init_cash: float, index: pd.DatetimeIndex
) -> tuple[float, int, float | None, int | None]:
    """(max drawdown %, longest drawdown in bars, its length in days, recovery bars of the
    max drawdown or None when not recovered)."""
    n = len(equity)
    if n == 0:
        return 0.0, 0, None, None
    peak = np.maximum.accumulate(np.maximum(equity, init_cash))
    dd = 1.0 - equity / peak
    mdd = float(dd.max())
    under = dd > 1e-12
    longest = 0
    longest_days: float | None = None
    if mdd > 1e-12:
        d = np.diff(under.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(d == 1)
        ends = np.flatnonzero(d == -1) - 1
        lengths = ends - starts + 1
        j = int(np.argmax(lengths))
        longest = int(lengths[j])
        s, e = int(starts[j]), int(ends[j])
        t0 = index[s - 1] if s > 0 else index[s]
        t1 = index[e + 1] if e + 1 < n else index[e]
        longest_days = (t1 - t0).total_seconds() / 86400.0
    recovery: int | None = None
    if mdd > 0:
        trough = int(np.argmax(dd))
        level = peak[trough]
        after = np.flatnonzero(equity[trough:] >= level)
        recovery = int(after[0]) if len(after) else None
    return mdd * 100.0, longest, longest_days, recovery


def trade_stats(trades: pd.DataFrame) -> dict[str, Any]:
    closed = trades[~trades["is_open"].to_numpy(dtype=bool)] if len(trades) else trades
    count = len(closed)
    out: dict[str, Any] = {
        "trade_count": count,
        "win_rate_pct": None,
        "profit_factor": None,
        "expectancy": None,
        "expectancy_pct": None,
        "avg_win_pct": None,
        "avg_loss_pct": None,
        "reward_risk_ratio": None,
        "trade_p_value": None,
    }
    if count == 0:
        return out
    pnl = closed["pnl"].to_numpy(dtype=np.float64)
    ret = closed["return_pct"].to_numpy(dtype=np.float64)
    wins = pnl > 0
    losses = pnl < 0
    out["win_rate_pct"] = float(wins.mean() * 100.0)
    gl = float(-pnl[losses].sum())
    gw = float(pnl[wins].sum())
    out["profit_factor"] = num(gw / gl) if gl > 0 else None
    out["expectancy"] = num(pnl.mean())
    out["expectancy_pct"] = num(ret.mean())
    aw = num(ret[wins].mean()) if wins.any() else None
    al = num(ret[losses].mean()) if losses.any() else None
    out["avg_win_pct"] = aw
    out["avg_loss_pct"] = al
    out["reward_risk_ratio"] = num(aw / abs(al)) if aw is not None and al else None
    out["trade_p_value"] = trade_p_value(ret)
    return out


def trade_p_value(ret: np.ndarray) -> float | None:
    """One-sided one-sample t-test p-value for mean trade return > 0 (scipy)."""
    if len(ret) < 2 or not float(np.std(ret, ddof=1)) > 0:
        return None
    from scipy.special import stdtr

    n = len(ret)
    t = float(np.mean(ret)) / (float(np.std(ret, ddof=1)) / math.sqrt(n))
    # P(T > t) for Student's t with n-1 degrees of freedom (= scipy.stats.ttest_1samp(..., alternative="greater"))
    return num(stdtr(n - 1, -t))


def alpha_beta(r: np.ndarray, rb: np.ndarray, ppy: float) -> tuple[float | None, float | None]:
    if len(r) < 2 or len(r) != len(rb):
        return None, None
    mb = float(rb.mean())
    mr = float(r.mean())
    db = rb - mb
    vb = float(db @ db)
    if not vb > 1e-18 * len(rb):
        return None, None
    beta = float((r - mr) @ db) / vb
    alpha = (mr - beta * mb) * ppy * 100.0
    return num(alpha), num(beta)


def summary(
    *,
    index: pd.DatetimeIndex,
    equity: np.ndarray,
    init_cash: float,
    trades: pd.DataFrame,
    exposure: np.ndarray,
    ppy: float,
    total_fees: float,
    benchmark: np.ndarray | None,
) -> dict[str, Any]:
    """Every SummaryStats field as a plain dict."""
    n = len(equity)
    r = bar_returns(equity, init_cash)
    final = float(equity[-1]) if n else init_cash
    mdd, longest, longest_days, recovery = drawdown_stats(equity, init_cash, index)
    cagr = cagr_pct(final, init_cash, n, ppy)
    sd = float(np.std(r, ddof=1)) if n > 1 else float("nan")
    bench_ret = None
    alpha = beta = None
    if benchmark is not None and len(benchmark) == n and n > 0 and benchmark[0] > 0:
        bench_ret = num((benchmark[-1] / benchmark[0] - 1.0) * 100.0)
        rb = bar_returns(benchmark, float(benchmark[0]))
        alpha, beta = alpha_beta(r, rb, ppy)
    out: dict[str, Any] = {
        "start": index[0].to_pydatetime(),
        "end": index[-1].to_pydatetime(),
        "bars": n,
        "initial_capital": float(init_cash),
        "final_equity": final,
        "total_return_pct": (final / init_cash - 1.0) * 100.0,
        "cagr_pct": cagr,
        "volatility_annual_pct": num(sd * math.sqrt(ppy) * 100.0),
        "sharpe_ratio": sharpe(r, ppy),
        "sortino_ratio": sortino(r, ppy),
        "max_drawdown_pct": mdd,
        "longest_drawdown_bars": longest,
        "longest_drawdown_days": num(longest_days),
        "recovery_bars": recovery,
        "calmar_ratio": num(cagr / mdd) if cagr is not None and mdd > 0 else None,
        "exposure_pct": float(exposure.mean() * 100.0) if n else 0.0,
        "total_fees": float(total_fees),
        "benchmark_return_pct": bench_ret,
        "alpha_annual_pct": alpha,
        "beta": beta,
        "periods_per_year": float(ppy),
    }
    out.update(trade_stats(trades))
    return out
