"""Indicator library: vectorised, parameterised, causal.

Every function takes pandas Series (same index) and returns a Series or DataFrame on that
index. Values are NaN during warm-up. No function ever reads a bar after the one it
computes (tests truncate the future and check that no past value changes).

This module imports numpy and pandas only: the sandbox child process imports it and must
start fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "adx",
    "atr",
    "bbands",
    "crosses_above",
    "crosses_below",
    "donchian",
    "ema",
    "for_n_bars",
    "macd",
    "realized_vol",
    "roc",
    "rsi",
    "sma",
    "spread_zscore",
    "stoch",
    "vwap",
    "wma",
    "zscore",
]


def _check_window(window: int, name: str = "window", minimum: int = 1) -> int:
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {window!r}")
    if window < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {window}")
    return int(window)


def _f64(s: pd.Series) -> pd.Series:
    if s.dtype == np.float64:
        return s
    return s.astype(np.float64)


def _wilder(values: np.ndarray, window: int, start: int) -> np.ndarray:
    """Wilder smoothing: seed = mean(values[start : start + window]), then
    ``avg_t = (avg_{t-1} * (window - 1) + x_t) / window``. NaN before the seed."""
    n = len(values)
    out = np.full(n, np.nan)
    seed_at = start + window - 1
    if seed_at >= n:
        return out
    seed = float(np.mean(values[start : seed_at + 1]))
    out[seed_at] = seed
    if seed_at + 1 < n:
        tail = pd.Series(np.concatenate(([seed], values[seed_at + 1 :])))
        sm = tail.ewm(alpha=1.0 / window, adjust=False).mean().to_numpy()
        out[seed_at:] = sm
    return out


# ------------------------------------------------------------------------------------------
# Moving averages
# ------------------------------------------------------------------------------------------


def sma(s: pd.Series, window: int) -> pd.Series:
    """Simple moving average over ``window`` bars."""
    w = _check_window(window)
    return _f64(s).rolling(w, min_periods=w).mean()


def ema(s: pd.Series, window: int) -> pd.Series:
    """Exponential moving average, span ``window`` (alpha = 2/(window+1)), no bias adjustment,
    seeded with the first value; NaN for the first ``window - 1`` bars."""
    w = _check_window(window)
    return _f64(s).ewm(span=w, adjust=False, min_periods=w).mean()


def wma(s: pd.Series, window: int) -> pd.Series:
    """Linearly weighted moving average: newest bar weighs ``window``, the oldest 1."""
    w = _check_window(window)
    x = _f64(s).to_numpy()
    out = np.full(len(x), np.nan)
    if len(x) >= w:
        weights = np.arange(1, w + 1, dtype=np.float64)
        windows = np.lib.stride_tricks.sliding_window_view(x, w)
        out[w - 1 :] = windows @ weights / weights.sum()
    return pd.Series(out, index=s.index, name=s.name)


# ------------------------------------------------------------------------------------------
# Oscillators
# ------------------------------------------------------------------------------------------


def rsi(s: pd.Series, window: int = 14) -> pd.Series:
    """Relative Strength Index with Wilder smoothing (0-100). The first value is at bar
    ``window`` (the average of the first ``window`` changes)."""
    w = _check_window(window, minimum=2)
    x = _f64(s).to_numpy()
    n = len(x)
    out = np.full(n, np.nan)
    if n > w:
        diff = np.diff(x)
        gain = np.where(diff > 0, diff, 0.0)
        loss = np.where(diff < 0, -diff, 0.0)
        ag = _wilder(gain, w, 0)
        al = _wilder(loss, w, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rs = ag / al
            val = 100.0 - 100.0 / (1.0 + rs)
        val = np.where((al == 0) & (ag > 0), 100.0, val)
        val = np.where((al == 0) & (ag == 0), 50.0, val)
        val = np.where(np.isnan(ag) | np.isnan(al), np.nan, val)
        out[1:] = val
    return pd.Series(out, index=s.index, name=s.name)


def macd(s: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD line = EMA(fast) - EMA(slow); signal = EMA(line, signal); hist = line - signal."""
    f = _check_window(fast, "fast")
    sl = _check_window(slow, "slow")
    sg = _check_window(signal, "signal")
    if f >= sl:
        raise ValueError(f"fast ({f}) must be smaller than slow ({sl})")
    line = ema(s, f) - ema(s, sl)
    sig = line.ewm(span=sg, adjust=False, min_periods=sg).mean()
    return pd.DataFrame({"macd": line, "signal": sig, "hist": line - sig}, index=s.index)


def bbands(s: pd.Series, window: int = 20, num_std: float = 2.0) -> pd.DataFrame:
    """Bollinger Bands with the population standard deviation. ``percent_b`` is 0 at the lower
    band and 1 at the upper; ``bandwidth`` = (upper - lower) / middle (a fraction)."""
    w = _check_window(window, minimum=2)
    x = _f64(s)
    roll = x.rolling(w, min_periods=w)
    mid = roll.mean()
    sd = roll.std(ddof=0)
    upper = mid + num_std * sd
    lower = mid - num_std * sd
    width = upper - lower
    pct_b = (x - lower) / width.where(width != 0)
    bw = width / mid.where(mid != 0)
    return pd.DataFrame(
        {"upper": upper, "middle": mid, "lower": lower, "percent_b": pct_b, "bandwidth": bw},
        index=s.index,
    )


def _true_range(high: pd.Series, low: pd.Series, close: pd.Series) -> np.ndarray:
    h = _f64(high).to_numpy()
    lo = _f64(low).to_numpy()
    c = _f64(close).to_numpy()
    tr = np.full(len(h), np.nan)
    if len(h) > 1:
        pc = c[:-1]
        tr[1:] = np.maximum(h[1:] - lo[1:], np.maximum(np.abs(h[1:] - pc), np.abs(lo[1:] - pc)))
    return tr


def atr(high: pd.Series, low: pd.Series, close: pd.Series, window: int = 14) -> pd.Series:
    """Average True Range, Wilder smoothing. True range needs the previous close, so the
    first ATR value is at bar ``window`` (mean of the true ranges of bars 1..window)."""
    w = _check_window(window)
    tr = _true_range(high, low, close)
    out = np.full(len(tr), np.nan)
    if len(tr) > w:
        out[1:] = _wilder(tr[1:], w, 0)
    return pd.Series(out, index=close.index, name="atr")


def adx(high: pd.Series, low: pd.Series, close: pd.Series, window: int = 14) -> pd.DataFrame:
    """Average Directional Index (Wilder): ``plus_di``/``minus_di`` from bar ``window``, ``adx``
    from bar ``2 * window - 1`` (the mean of the first ``window`` DX values, then Wilder)."""
    w = _check_window(window, minimum=2)
    h = _f64(high).to_numpy()
    lo = _f64(low).to_numpy()
    n = len(h)
    pdi = np.full(n, np.nan)
    mdi = np.full(n, np.nan)
    adx_v = np.full(n, np.nan)
    if n > w:
        up = h[1:] - h[:-1]
        down = lo[:-1] - lo[1:]
        pdm = np.where((up > down) & (up > 0), up, 0.0)
        mdm = np.where((down > up) & (down > 0), down, 0.0)
        tr = _true_range(high, low, close)[1:]
        s_tr = _wilder(tr, w, 0)
        s_p = _wilder(pdm, w, 0)
        s_m = _wilder(mdm, w, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(s_tr > 0, 100.0 * s_p / s_tr, 0.0)
            m = np.where(s_tr > 0, 100.0 * s_m / s_tr, 0.0)
            tot = p + m
            dx = np.where(tot > 0, 100.0 * np.abs(p - m) / tot, 0.0)
        valid = ~np.isnan(s_tr)
        p = np.where(valid, p, np.nan)
        m = np.where(valid, m, np.nan)
        dx = np.where(valid, dx, np.nan)
        pdi[1:] = p
        mdi[1:] = m
        adx_v[1:] = _wilder(dx, w, w - 1)
    return pd.DataFrame({"adx": adx_v, "plus_di": pdi, "minus_di": mdi}, index=close.index)


def stoch(
    high: pd.Series,
    low: pd.Series,
    close: pd.Series,
    k_window: int = 14,
    smooth_k: int = 3,
    d_window: int = 3,
) -> pd.DataFrame:
    """Stochastic oscillator: raw %K = 100 (close - lowest low) / (highest high - lowest low)
    over ``k_window`` bars; ``k`` = SMA(raw, smooth_k); ``d`` = SMA(k, d_window)."""
    kw = _check_window(k_window, "k_window")
    sk = _check_window(smooth_k, "smooth_k")
    dw = _check_window(d_window, "d_window")
    hh = _f64(high).rolling(kw, min_periods=kw).max()
    ll = _f64(low).rolling(kw, min_periods=kw).min()
    rng = hh - ll
    raw = 100.0 * (_f64(close) - ll) / rng.where(rng != 0)
    raw = raw.where(~((rng == 0) & ll.notna()), 50.0)
    k = raw.rolling(sk, min_periods=sk).mean()
    d = k.rolling(dw, min_periods=dw).mean()
    return pd.DataFrame({"k": k, "d": d}, index=close.index)


def donchian(high: pd.Series, low: pd.Series, window: int = 20) -> pd.DataFrame:
    """Donchian channel of the PREVIOUS ``window`` bars (the current bar is excluded, so a
    close above ``upper`` is a breakout). First value at bar ``window``."""
    w = _check_window(window)
    upper = _f64(high).rolling(w, min_periods=w).max().shift(1)
    lower = _f64(low).rolling(w, min_periods=w).min().shift(1)
    return pd.DataFrame(
        {"upper": upper, "lower": lower, "middle": (upper + lower) / 2.0}, index=high.index
    )


def vwap(
    high: pd.Series,
    low: pd.Series,
    close: pd.Series,
    volume: pd.Series,
    window: int | None = None,
) -> pd.Series:
    """VWAP of the typical price (h+l+c)/3: rolling over ``window`` bars, or (``window=None``)
    running from the first bar of each UTC calendar day (resets every session day)."""
    tp = (_f64(high) + _f64(low) + _f64(close)) / 3.0
    v = _f64(volume)
    pv = tp * v
    if window is not None:
        w = _check_window(window)
        num = pv.rolling(w, min_periods=w).sum()
        den = v.rolling(w, min_periods=w).sum()
    else:
        idx = close.index
        day = (
            idx.normalize()
            if isinstance(idx, pd.DatetimeIndex)
            else pd.Index(np.zeros(len(idx), dtype=np.int64))
        )
        num = pv.groupby(day).cumsum()
        den = v.groupby(day).cumsum()
    out = num / den.where(den != 0)
    out.name = "vwap"
    return out


# ------------------------------------------------------------------------------------------
# Returns and statistics
# ------------------------------------------------------------------------------------------


def roc(s: pd.Series, window: int = 1) -> pd.Series:
    """Rate of change in percent: 100 * (s / s.shift(window) - 1)."""
    w = _check_window(window)
    x = _f64(s)
    return 100.0 * (x / x.shift(w) - 1.0)


def realized_vol(
    close: pd.Series, window: int = 20, periods_per_year: float | None = None
) -> pd.Series:
    """Sample standard deviation of log returns over ``window`` bars (a fraction per bar);
    with ``periods_per_year`` annualised and in percent: std * sqrt(periods_per_year) * 100."""
    w = _check_window(window, minimum=2)
    lr = np.log(_f64(close)).diff()
    vol = lr.rolling(w, min_periods=w).std(ddof=1)
    if periods_per_year is not None:
        vol = vol * np.sqrt(float(periods_per_year)) * 100.0
    out: pd.Series = vol
    return out


def zscore(s: pd.Series, window: int = 20) -> pd.Series:
    """Rolling z-score (population standard deviation): (s - mean) / std."""
    w = _check_window(window, minimum=2)
    x = _f64(s)
    roll = x.rolling(w, min_periods=w)
    sd = roll.std(ddof=0)
    return (x - roll.mean()) / sd.where(sd != 0)


def spread_zscore(
    a: pd.Series, b: pd.Series, window: int = 60, hedge_ratio: float | None = None
) -> pd.DataFrame:
    """Pairs signal. ``beta`` = rolling OLS slope of log(a) on log(b) over ``window`` bars (or the
    fixed ``hedge_ratio``); ``spread`` = log(a) - beta * log(b) using each bar's own beta;
    ``zscore`` = rolling z-score of the spread over ``window`` bars (population std)."""
    w = _check_window(window, minimum=2)
    la = np.log(_f64(a))
    lb = np.log(_f64(b))
    if hedge_ratio is None:
        cov = la.rolling(w, min_periods=w).cov(lb)
        var = lb.rolling(w, min_periods=w).var()
        beta = cov / var.where(var != 0)
    else:
        beta = pd.Series(float(hedge_ratio), index=a.index)
    spread = la - beta * lb
    roll = spread.rolling(w, min_periods=w)
    sd = roll.std(ddof=0)
    z = (spread - roll.mean()) / sd.where(sd != 0)
    return pd.DataFrame({"zscore": z, "spread": spread, "beta": beta}, index=a.index)


# ------------------------------------------------------------------------------------------
# Boolean helpers
# ------------------------------------------------------------------------------------------


def _pair(a: pd.Series | float, b: pd.Series | float) -> tuple[pd.Series, pd.Series]:
    if isinstance(a, pd.Series):
        sa = _f64(a)
        sb = _f64(b) if isinstance(b, pd.Series) else pd.Series(float(b), index=a.index)
    elif isinstance(b, pd.Series):
        sb = _f64(b)
        sa = pd.Series(float(a), index=b.index)
    else:
        raise TypeError("crosses_above/crosses_below need at least one pandas Series")
    return sa, sb


def crosses_above(a: pd.Series | float, b: pd.Series | float) -> pd.Series:
    """True on the bar where ``a`` moves from at or below ``b`` to above it (NaN -> False)."""
    sa, sb = _pair(a, b)
    now = (sa > sb).to_numpy()
    before = (sa.shift(1) <= sb.shift(1)).to_numpy()
    return pd.Series(now & before, index=sa.index)


def crosses_below(a: pd.Series | float, b: pd.Series | float) -> pd.Series:
    """True on the bar where ``a`` moves from at or above ``b`` to below it (NaN -> False)."""
    sa, sb = _pair(a, b)
    now = (sa < sb).to_numpy()
    before = (sa.shift(1) >= sb.shift(1)).to_numpy()
    return pd.Series(now & before, index=sa.index)


def for_n_bars(cond: pd.Series, n: int) -> pd.Series:
    """True when ``cond`` held on each of the last ``n`` bars, the current one included."""
    k = _check_window(n, "n")
    x = cond.fillna(False).astype(bool).to_numpy()
    if k == 1:
        return pd.Series(x, index=cond.index)
    c = np.concatenate(([0], np.cumsum(x.astype(np.int64))))
    out = np.zeros(len(x), dtype=bool)
    if len(x) >= k:
        out[k - 1 :] = (c[k:] - c[:-k]) == k
    return pd.Series(out, index=cond.index)
