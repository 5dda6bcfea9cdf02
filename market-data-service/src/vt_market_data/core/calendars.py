"""Exchange calendars (US and Hong Kong sessions and holidays) via `exchange-calendars`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from vt_market_data.core.bars import I64


@dataclass(frozen=True)
class MarketInfo:
    """How a market trades: timezone, calendar and regular session open (local minutes)."""

    market: str | None
    timezone: str
    calendar: str | None
    session_open_minutes: int


MARKETS: dict[str, MarketInfo] = {
    "us_equity": MarketInfo("us_equity", "America/New_York", "XNYS", 9 * 60 + 30),
    "hk_equity": MarketInfo("hk_equity", "Asia/Hong_Kong", "XHKG", 9 * 60 + 30),
    "crypto": MarketInfo("crypto", "UTC", None, 0),
}
NO_MARKET = MarketInfo(None, "UTC", None, 0)

_lock = threading.Lock()


def market_info(market: str | None) -> MarketInfo:
    return MARKETS.get(market or "", NO_MARKET)


@lru_cache(maxsize=8)
def get_calendar(name: str) -> xcals.ExchangeCalendar:
    """The calendar from 1990 on (loaded once per process; loading takes ~0.3 s)."""
    with _lock:
        return xcals.get_calendar(name, start="1990-01-01")


def local_ns(ts: I64, tz: str) -> I64:
    """Wall-clock time at `tz` as naive nanoseconds (for grouping by local day or session)."""
    if tz == "UTC" or len(ts) == 0:
        return ts
    idx = pd.DatetimeIndex(pd.to_datetime(ts, unit="ns", utc=True)).tz_convert(tz)
    return np.asarray(idx.tz_localize(None).as_unit("ns").asi8, dtype=np.int64)


def sessions_between(calendar: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Trading sessions (naive dates) from `first` to `last` inclusive, clipped to the calendar."""
    cal = get_calendar(calendar)
    lo = max(first, cal.first_session)
    hi = min(last, cal.last_session)
    if lo > hi:
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(cal.sessions_in_range(lo, hi))


def session_breaks(calendar: str, sessions: pd.DatetimeIndex) -> tuple[I64, I64]:
    """UTC ns of each session's lunch break start/end (NaT -> -1 when the session has none)."""
    cal = get_calendar(calendar)
    sched = cal.schedule.reindex(sessions)
    starts = pd.DatetimeIndex(sched["break_start"])
    ends = pd.DatetimeIndex(sched["break_end"])
    s = np.where(starts.isna(), -1, starts.as_unit("ns").asi8)
    e = np.where(ends.isna(), -1, ends.as_unit("ns").asi8)
    return s.astype(np.int64), e.astype(np.int64)
