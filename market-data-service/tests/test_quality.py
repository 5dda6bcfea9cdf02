"""The data-quality report flags problems and never changes the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vt_market_data.core.bars import Bars
from vt_market_data.core.calendars import market_info
from vt_market_data.core.quality import drop_incomplete, quality_report
from vt_market_data.core.timeframes import MINUTE_NS


def daily(dates: list[str], tz: str = "America/New_York", close: list[float] | None = None) -> Bars:
    ts = pd.DatetimeIndex(dates).tz_localize(tz).tz_convert("UTC").as_unit("ns").asi8
    c = np.asarray(close if close is not None else [100.0] * len(dates))
    return Bars.from_arrays(ts, c, c * 1.01, c * 0.99, c, np.ones(len(dates)))


def kinds(bars: Bars, tf: str = "1d", market: str | None = "us_equity") -> dict[str, int]:
    return {i.kind: i.count for i in quality_report(bars, tf, market_info(market)).issues}


def test_holidays_are_not_gaps_but_missing_sessions_are() -> None:
    # 2024-07-04 is a NYSE holiday; 2024-07-09 is a normal session left out
    days = ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05", "2024-07-08", "2024-07-10"]
    assert kinds(daily(days)) == {"gap": 1}
    assert kinds(daily([*days[:5], "2024-07-09", "2024-07-10"])) == {}


def test_hong_kong_calendar() -> None:
    days = [
        "2024-02-08",
        "2024-02-09",
        "2024-02-14",
        "2024-02-15",
    ]  # closed 12-13 Feb (Lunar New Year)
    assert kinds(daily(days, "Asia/Hong_Kong"), market="hk_equity") == {}


def test_intraday_gaps_excuse_the_lunch_break() -> None:
    morning = pd.date_range(
        "2024-06-03 09:30", "2024-06-03 11:59", freq="1min", tz="Asia/Hong_Kong"
    )
    afternoon = pd.date_range(
        "2024-06-03 13:00", "2024-06-03 15:59", freq="1min", tz="Asia/Hong_Kong"
    )
    idx = morning.append(afternoon)
    ts = idx.tz_convert("UTC").as_unit("ns").asi8
    ones = np.ones(len(ts))
    bars = Bars.from_arrays(ts, ones, ones, ones, ones, ones)
    assert kinds(bars, "1m", "hk_equity") == {}
    holed = bars.take(np.flatnonzero((ts < ts[10]) | (ts > ts[14])))
    assert kinds(holed, "1m", "hk_equity") == {"gap": 5}


def test_crypto_gaps_and_each_issue_kind() -> None:
    t0 = int(pd.Timestamp("2024-01-01", tz="UTC").value)
    ts = t0 + np.asarray([0, 1, 2, 2, 3, 6, 7], dtype=np.int64) * MINUTE_NS
    o = np.asarray([10, 10, 10, 10, 10, 10, -1.0])
    h = np.asarray([11, 11, 11, 11, 9, 30, 11.0])
    lo = np.asarray([9, 9, 9, 9, 10, 9, 9.0])
    c = np.asarray([10, 10, 10, 10, 9.5, 25, 10.0])
    bars = Bars.from_arrays(ts, o, h, lo, c, np.ones(7))
    found = kinds(bars, "1m", "crypto")
    assert found["duplicate_timestamp"] == 1
    assert found["high_below_low"] == 1
    assert found["non_positive_price"] == 1
    assert found["suspicious_jump"] >= 1
    assert found["gap"] == 2
    before = bars.close.copy()
    quality_report(bars, "1m", market_info("crypto"))
    assert np.array_equal(bars.close, before)  # flagged, never fixed


def test_missing_values_are_reported() -> None:
    t0 = int(pd.Timestamp("2024-01-01", tz="UTC").value)
    ts = t0 + np.arange(3, dtype=np.int64) * MINUTE_NS
    bars = Bars.from_arrays(
        ts, [1.0, np.nan, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]
    )
    kept, issue = drop_incomplete(bars)
    assert len(kept) == 2
    assert issue is not None
    assert issue.kind == "missing_values"
    assert issue.count == 1
