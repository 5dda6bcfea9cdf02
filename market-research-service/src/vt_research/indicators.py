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


def wilder_smooth(values: pd.Series, window: int) -> pd.Series:
    """Wilder's smoothing (RMA): seed with the mean of the first `window` values, then
    s_t = s_{t-1} + (x_t - s_{t-1}) / window."""
    out = np.full(len(values), np.nan)
    arr = values.to_numpy(dtype=float)
    valid = np.flatnonzero(~np.isnan(arr))
    if len(valid) < window:
        return pd.Series(out, index=values.index)
    start = valid[0]
    seed_end = start + window
    if np.isnan(arr[start:seed_end]).any():
        return pd.Series(out, index=values.index)
    out[seed_end - 1] = arr[start:seed_end].mean()
    for i in range(seed_end, len(arr)):
        out[i] = out[i - 1] + (arr[i] - out[i - 1]) / window
    return pd.Series(out, index=values.index)


def adx(high: pd.Series, low: pd.Series, close: pd.Series, window: int = 14) -> pd.Series:
    """Average Directional Index (Wilder, 1978).

    TR = max(H-L, |H-C_prev|, |L-C_prev|); +DM = H-H_prev if it exceeds L_prev-L and is > 0 else 0;
    -DM symmetric. +DI = 100*RMA(+DM)/RMA(TR), -DI likewise; DX = 100*|+DI - -DI|/(+DI + -DI);
    ADX = RMA(DX). RMA is Wilder's smoothing with period `window`.
    """
    prev_close = close.shift(1)
    tr = pd.concat(
        [high - low, (high - prev_close).abs(), (low - prev_close).abs()], axis=1
    ).max(axis=1, skipna=False)
    up = high - high.shift(1)
    down = low.shift(1) - low
    plus_dm = pd.Series(np.where((up > down) & (up > 0), up, 0.0), index=close.index)
    minus_dm = pd.Series(np.where((down > up) & (down > 0), down, 0.0), index=close.index)
    plus_dm.iloc[0] = np.nan
    minus_dm.iloc[0] = np.nan
    atr = wilder_smooth(tr.where(prev_close.notna()), window)
    plus_di = 100.0 * wilder_smooth(plus_dm, window) / atr
    minus_di = 100.0 * wilder_smooth(minus_dm, window) / atr
    denom = (plus_di + minus_di).replace(0.0, np.nan)
    dx = 100.0 * (plus_di - minus_di).abs() / denom
    return wilder_smooth(dx, window)


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
