"""Small, look-ahead-free indicators on pandas Series (value at t uses bars <= t only).

Kept local to the research service so it does not depend on the engine's indicator library,
which evolves on its own schedule. Every function is plain pandas/numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def sma(close: pd.Series, window: int) -> pd.Series:
    """Simple moving average; NaN until `window` bars exist."""
    return close.rolling(window, min_periods=window).mean()


def log_returns(close: pd.Series) -> pd.Series:
    """ln(close_t / close_{t-1}); the first value is NaN."""
    return pd.Series(np.log(close / close.shift(1)), index=close.index)


def realised_vol(close: pd.Series, window: int, periods_per_year: int) -> pd.Series:
    """Annualised realised volatility: stdev(log returns over `window` bars, ddof=1) * sqrt(periods)."""
    return log_returns(close).rolling(window, min_periods=window).std(ddof=1) * math.sqrt(
        periods_per_year
    )


def percentile_rank(history: pd.Series, value: float) -> float:
    """Percentile of `value` within `history` (NaN dropped), ties counted half ("mean" kind):
    (count(x < value) + 0.5 * count(x == value)) / n * 100. A constant history gives 50."""
    clean = history.dropna()
    if clean.empty:
        return float("nan")
    below = float((clean < value).sum())
    equal = float((clean == value).sum())
    return (below + 0.5 * equal) / float(len(clean)) * 100.0


def _rma(arr: np.ndarray, window: int) -> np.ndarray:
    """Wilder's smoothing on a float array (NaN before the seed)."""
    out = np.full(len(arr), np.nan)
    valid = np.flatnonzero(~np.isnan(arr))
    if len(valid) < window:
        return out
    start = int(valid[0])
    seed_end = start + window
    if seed_end > len(arr) or np.isnan(arr[start:seed_end]).any():
        return out
    prev = float(arr[start:seed_end].mean())
    out[seed_end - 1] = prev
    values = arr.tolist()
    for i in range(seed_end, len(values)):
        prev = prev + (values[i] - prev) / window
        out[i] = prev
    return out


def wilder_smooth(values: pd.Series, window: int) -> pd.Series:
    """Wilder's smoothing (RMA): seed with the mean of the first `window` values, then
    s_t = s_{t-1} + (x_t - s_{t-1}) / window."""
    return pd.Series(_rma(values.to_numpy(dtype=float), window), index=values.index)


def adx(high: pd.Series, low: pd.Series, close: pd.Series, window: int = 14) -> pd.Series:
    """Average Directional Index (Wilder, 1978).

    TR = max(H-L, |H-C_prev|, |L-C_prev|); +DM = H-H_prev if it exceeds L_prev-L and is > 0 else 0;
    -DM symmetric. +DI = 100*RMA(+DM)/RMA(TR), -DI likewise; DX = 100*|+DI - -DI|/(+DI + -DI);
    ADX = RMA(DX). RMA is Wilder's smoothing with period `window`. Plain numpy for speed.
    """
    h = high.to_numpy(dtype=float)
    lo = low.to_numpy(dtype=float)
    c = close.to_numpy(dtype=float)
    n = len(c)
    if n < 2:
        return pd.Series(np.full(n, np.nan), index=close.index)
    pc = np.concatenate([[np.nan], c[:-1]])
    tr = np.maximum.reduce([h - lo, np.abs(h - pc), np.abs(lo - pc)])
    up = np.concatenate([[np.nan], h[1:] - h[:-1]])
    down = np.concatenate([[np.nan], lo[:-1] - lo[1:]])
    with np.errstate(invalid="ignore", divide="ignore"):
        plus_dm = np.where((up > down) & (up > 0), up, 0.0)
        minus_dm = np.where((down > up) & (down > 0), down, 0.0)
        plus_dm[0] = minus_dm[0] = np.nan
        atr = _rma(tr, window)
        plus_di = 100.0 * _rma(plus_dm, window) / atr
        minus_di = 100.0 * _rma(minus_dm, window) / atr
        denom = plus_di + minus_di
        dx = np.where(denom > 0, 100.0 * np.abs(plus_di - minus_di) / denom, np.nan)
    return pd.Series(_rma(dx, window), index=close.index)


def drawdown(close: pd.Series) -> pd.Series:
    """close_t / max(close_0..close_t) - 1 (0 at a running high, negative below it)."""
    return close / close.cummax() - 1.0


def momentum(close: pd.Series, bars: int) -> float:
    """close_t / close_{t-bars} - 1 at the last bar; NaN when fewer than bars+1 closes exist."""
    if len(close) <= bars:
        return float("nan")
    return float(close.iloc[-1] / close.iloc[-1 - bars] - 1.0)


def return_correlation(a: pd.Series, b: pd.Series, window: int) -> tuple[float, int]:
    """Pearson correlation of daily log returns over the last `window` dates both series share.

    Returns (correlation, number of aligned returns used)."""
    joined = pd.concat([log_returns(a), log_returns(b)], axis=1, join="inner").dropna()
    tail = joined.iloc[-window:]
    if len(tail) < 3:
        return float("nan"), len(tail)
    return float(tail.iloc[:, 0].corr(tail.iloc[:, 1])), len(tail)
