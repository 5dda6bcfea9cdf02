"""Performance metrics from an equity array and a trade table (plain numpy, fast).

Conventions:
- bar returns r_t = equity_t / equity_{t-1} - 1, the first one relative to the initial capital;
- Sharpe = mean(r) / std(r, ddof=1) * sqrt(periods_per_year), risk-free rate 0;
- Sortino = mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(periods_per_year);
- volatility = std(r, ddof=1) * sqrt(periods_per_year) * 100;
- CAGR = (final / initial) ** (1 / years) - 1 with years of CALENDAR time from the open of the
  first bar to the close of the last (365.25-day years), so bars dropped by a basket's alignment
  or missing sessions do not inflate it; null (with `cagr_null_reason`) under one year, where an
  annualised figure extrapolates a few months; Calmar = CAGR / max drawdown, null alike;
- drawdown from the running peak (the initial capital counts as the first peak);
- trade statistics over CLOSED ROUND TRIPS: the exits of one position (the partial exits of a
  staged take-profit, then the rest) are one round trip with the summed P&L and the
  capital-weighted return; a round trip with a part still open at the end is not counted;
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
    """Growth rate with time counted in bars (ranks in-sample runs of equal length; the
    reported CAGR uses calendar time: `annualised_return`)."""
    if bars <= 0 or init_cash <= 0 or final <= 0:
        return None
    years = bars / ppy
    try:
        return num(((final / init_cash) ** (1.0 / years) - 1.0) * 100.0)
    except OverflowError:
        return None


YEAR_DAYS = 365.25
# "one year" with a week's slack: a calendar year of daily bars runs from its first to its last
# session, a few days short of 365 (and walk-forward years are cut on bar counts)
MIN_CAGR_DAYS = 358.0


def calendar_years(index: pd.DatetimeIndex) -> float:
    """Calendar span of the bars in years: first bar's open to the last bar's end (the last bar
    lasts the typical spacing of the bars)."""
    if len(index) == 0:
        return 0.0
    ns = index.as_unit("ns").asi8
    bar = float(np.median(np.diff(ns))) if len(ns) > 1 else 0.0
    return (float(ns[-1] - ns[0]) + bar) / (YEAR_DAYS * 86_400e9)


def annualised_return(
    final: float, init_cash: float, index: pd.DatetimeIndex
) -> tuple[float | None, str | None]:
    """(CAGR percent from calendar time, None) or (None, the reason it is not given)."""
    years = calendar_years(index)
    days = years * YEAR_DAYS
    if days < MIN_CAGR_DAYS:
        return None, (
            f"the backtest spans {days:.0f} days, less than a year: an annualised return "
            "(and Calmar) would extrapolate it; see total_return_pct"
        )
    if init_cash <= 0 or final <= 0:
        return None, "equity ended at or below zero: no compound growth rate exists"
    try:
        return num(((final / init_cash) ** (1.0 / years) - 1.0) * 100.0), None
    except OverflowError:
        return None, "the growth rate overflows"


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


_RT_KEYS = ("entry_bar", "col", "direction")


def round_trip_ids(trades: pd.DataFrame) -> np.ndarray:
    """Round-trip number of every trade row: rows of one position (same symbol column,
    direction and entry bar) share it; numbered in order of entry. Without those columns every
    row is its own round trip."""
    n = len(trades)
    if n == 0 or any(k not in trades.columns for k in _RT_KEYS):
        return np.arange(n, dtype=np.int64)
    keys = [trades[k].to_numpy(dtype=np.int64) for k in _RT_KEYS]
    order = np.lexsort(keys[::-1])  # by entry bar, then column, then direction
    sk = [k[order] for k in keys]
    new = np.ones(n, dtype=bool)
    new[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in sk])
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def round_trips(trades: pd.DataFrame) -> pd.DataFrame:
    """One row per round trip: pnl (sum), return_pct (weighted by the capital committed to each
    exit's part), exits (rows), is_open (any part still open)."""
    ids = round_trip_ids(trades)
    pnl = trades["pnl"].to_numpy(dtype=np.float64)
    ret = trades["return_pct"].to_numpy(dtype=np.float64)
    is_open = trades["is_open"].to_numpy(dtype=bool)
    m = int(ids.max()) + 1 if len(ids) else 0
    if m == len(ids):  # no partial exits: the rows are the round trips (ordered by entry)
        out = np.empty(m, dtype=np.int64)
        out[ids] = np.arange(m)
        return pd.DataFrame(
            {
                "pnl": pnl[out],
                "return_pct": ret[out],
                "exits": np.ones(m, dtype=np.int64),
                "is_open": is_open[out],
            }
        )
    if "entry_price" in trades.columns and "size" in trades.columns:
        w = np.abs(
            trades["entry_price"].to_numpy(dtype=np.float64)
            * trades["size"].to_numpy(dtype=np.float64)
        )
    else:
        w = np.ones(len(ids))
    wsum = np.bincount(ids, weights=w, minlength=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        wret = np.bincount(ids, weights=ret * w, minlength=m) / wsum
    mean_ret = np.bincount(ids, weights=ret, minlength=m) / np.bincount(ids, minlength=m)
    return pd.DataFrame(
        {
            "pnl": np.bincount(ids, weights=pnl, minlength=m),
            "return_pct": np.where(wsum > 0, wret, mean_ret),
            "exits": np.bincount(ids, minlength=m),
            "is_open": np.bincount(ids, weights=is_open.astype(np.float64), minlength=m) > 0,
        }
    )


def trade_stats(trades: pd.DataFrame) -> dict[str, Any]:
    """Win rate, profit factor, expectancy, p-value... over closed round trips."""
    if len(trades):
        rt = round_trips(trades)
        closed = rt[~rt["is_open"].to_numpy(dtype=bool)]
    else:
        closed = trades
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
    cagr, cagr_reason = annualised_return(final, init_cash, index) if n else (None, None)
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
        "cagr_null_reason": cagr_reason,
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
