"""Bar sizes, exchange calendars and annualisation."""

from __future__ import annotations

import math
from functools import lru_cache

BAR_MINUTES: dict[str, int] = {
    "1m": 1,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "4h": 240,
    "1d": 1440,
    "1w": 10080,
}

TRADING_DAYS: dict[str, int] = {"us_equity": 252, "hk_equity": 252, "crypto": 365}
"""Days per year used to annualise daily bars, per market."""

CALENDARS: dict[str, str] = {"us_equity": "XNYS", "hk_equity": "XHKG"}

_FALLBACK_SESSION_MINUTES: dict[str, int] = {"XNYS": 390, "XHKG": 330}


@lru_cache(maxsize=8)
def session_minutes(calendar: str) -> int:
    """Minutes of trading in a regular (full) session of an exchange calendar, lunch breaks
    excluded: XNYS 390 (09:30-16:00), XHKG 330 (09:30-12:00, 13:00-16:00).

    Taken from ``exchange-calendars`` (the most common session length over 2019-2023)."""
    try:
        import exchange_calendars as xcals
        import pandas as pd

        cal = xcals.get_calendar(calendar, start="2019-01-01", end="2023-12-31")
        opens = cal.schedule["open"]
        closes = cal.schedule["close"]
        length = closes - opens
        if "break_start" in cal.schedule:
            brk = (cal.schedule["break_end"] - cal.schedule["break_start"]).fillna(pd.Timedelta(0))
            length = length - brk
        minutes = (length.dt.total_seconds() // 60).astype(int)
        return int(minutes.mode().iloc[0])
    except Exception:  # pragma: no cover - calendar package missing or broken
        return _FALLBACK_SESSION_MINUTES[calendar]


def bars_per_session(market: str, timeframe: str) -> float:
    """Bars in one regular session (a partial last bar counts as one)."""
    minutes = BAR_MINUTES[timeframe]
    if market == "crypto":
        return 1440.0 / minutes
    return float(math.ceil(session_minutes(CALENDARS[market]) / minutes))


def periods_per_year(market: str, timeframe: str) -> float:
    """Bars per year used for annualisation.

    Daily: 252 for equities (US and HK), 365 for crypto. Weekly: 52. Intraday equities:
    252 sessions x bars per session of the exchange calendar (e.g. 1m on XNYS = 252 x 390).
    Intraday crypto trades around the clock: 365 x 1440 / bar minutes."""
    if timeframe not in BAR_MINUTES:
        raise ValueError(f"unknown timeframe {timeframe!r}")
    if market not in TRADING_DAYS:
        raise ValueError(f"unknown market {market!r}")
    if timeframe == "1w":
        return 52.0
    days = float(TRADING_DAYS[market])
    if timeframe == "1d":
        return days
    return days * bars_per_session(market, timeframe)
