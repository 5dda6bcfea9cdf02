"""Split and dividend adjustment.

`adjusted`: every price is scaled by the source's adjusted-close / close ratio of its bar (the
split- and dividend-adjusted series). `raw`: undo the splits that happened after each bar, so
prices and volumes are as traded on that day.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vt_market_data.core.bars import F64, I64, Bars


def split_factors(ts: I64, split_ts: npt.ArrayLike, split_ratio: npt.ArrayLike) -> F64:
    """Product of the ratios of all splits strictly after each bar (1.0 when none)."""
    s_ts = np.asarray(split_ts, dtype=np.int64)
    s_ratio = np.asarray(split_ratio, dtype=np.float64)
    if s_ts.size == 0:
        return np.ones(ts.shape[0], dtype=np.float64)
    order = np.argsort(s_ts)
    s_ts, s_ratio = s_ts[order], s_ratio[order]
    # suffix[k] = product of ratios k..end; a bar sees the splits with split_ts > ts
    suffix = np.concatenate([np.cumprod(s_ratio[::-1])[::-1], [1.0]])
    first_after = np.searchsorted(s_ts, ts, side="right")
    return np.asarray(suffix[first_after], dtype=np.float64)


def unadjust_splits(bars: Bars, split_ts: npt.ArrayLike, split_ratio: npt.ArrayLike) -> Bars:
    """From split-adjusted to raw: prices times the later splits' factor, volume divided by it."""
    f = split_factors(bars.ts, split_ts, split_ratio)
    return Bars(
        bars.ts,
        bars.open * f,
        bars.high * f,
        bars.low * f,
        bars.close * f,
        bars.volume / f,
    )


def apply_adjusted_close(bars: Bars, adj_close: npt.ArrayLike) -> Bars:
    """Scale open/high/low/close by adj_close/close (volume unchanged)."""
    adj = np.asarray(adj_close, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(bars.close != 0, adj / bars.close, 1.0)
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    return Bars(
        bars.ts, bars.open * ratio, bars.high * ratio, bars.low * ratio, adj.copy(), bars.volume
    )
