"""OHLCV aggregation: first open, max high, min low, last close, summed volume.

Intraday bins are anchored at the regular session open of equity markets (09:30 local), daily
bins are local session dates and weekly bins start on the local Monday; bars are stamped with
their bin's open time in UTC (daily/weekly: 00:00 local time of the session date / Monday).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vt_kit.problems import Unprocessable
from vt_market_data.core.bars import I64, Bars
from vt_market_data.core.calendars import MarketInfo, local_ns
from vt_market_data.core.timeframes import DAY_NS, MINUTE_NS, TF_NS, can_derive


def bin_starts(ts: I64, target: str, info: MarketInfo) -> I64:
    """UTC ns of the bin each timestamp falls in."""
    local = local_ns(ts, info.timezone)
    day = np.floor_divide(local, DAY_NS)
    if target == "1d":
        bin_local = day * DAY_NS
    elif target == "1w":
        bin_local = (day - (day + 3) % 7) * DAY_NS  # 1970-01-01 was a Thursday
    else:
        step = TF_NS[target]
        anchor = info.session_open_minutes * MINUTE_NS % step
        tod = local - day * DAY_NS
        bin_local = day * DAY_NS + anchor + np.floor_divide(tod - anchor, step) * step
    if info.timezone == "UTC":
        return np.asarray(bin_local, dtype=np.int64)
    # back to UTC with the offset in force at the bin's own start (it differs from the bar's on
    # DST change days); ambiguous/non-existent local times keep the bar's offset
    uniq, inverse = np.unique(bin_local, return_inverse=True)
    localized = pd.DatetimeIndex(pd.to_datetime(uniq, unit="ns")).tz_localize(
        info.timezone, ambiguous="NaT", nonexistent="NaT"
    )
    as_utc = np.where(localized.isna(), -1, localized.as_unit("ns").asi8)[inverse]
    fallback = ts - (local - bin_local)
    return np.asarray(np.where(as_utc == -1, fallback, as_utc), dtype=np.int64)


def aggregate(bars: Bars, keys: I64) -> Bars:
    """Aggregate consecutive bars sharing a key (bars sorted by time)."""
    n = len(bars)
    if n == 0:
        return Bars.empty()
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    return Bars(
        keys[starts].astype(np.int64),
        bars.open[starts],
        np.maximum.reduceat(bars.high, starts),
        np.minimum.reduceat(bars.low, starts),
        bars.close[ends],
        np.add.reduceat(bars.volume, starts),
    )


def resample(bars: Bars, source: str, target: str, info: MarketInfo) -> Bars:
    """Aggregate `bars` of timeframe `source` into `target` (which must be coarser)."""
    if source == target:
        return bars
    if not can_derive(target, source):
        raise Unprocessable(
            f"cannot build {target} bars from {source} data: only coarser timeframes can be derived "
            f"(held data is {source})."
        )
    bars = bars.sorted()
    return aggregate(bars, bin_starts(bars.ts, target, info))
