"""Parsing of `start`/`end`: ISO dates are exchange-local calendar days (end inclusive),
datetimes with an offset are taken as given, naive datetimes as UTC. Ranges are half-open."""

from __future__ import annotations

import re
import time

import pandas as pd

from vt_kit.problems import Unprocessable
from vt_market_data.core.timeframes import DAY_NS, TF_NS

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_BARS = 3_000_000
DEFAULT_SPAN_NS = {
    "1m": 5 * DAY_NS,
    "5m": 30 * DAY_NS,
    "15m": 30 * DAY_NS,
    "30m": 60 * DAY_NS,
    "1h": 180 * DAY_NS,
    "4h": 365 * DAY_NS,
    "1d": 5 * 365 * DAY_NS,
    "1w": 10 * 365 * DAY_NS,
}


def now_ns() -> int:
    return time.time_ns()


def _parse(value: str, name: str, tz: str, is_end: bool) -> int:
    v = value.strip()
    try:
        if _DATE.match(v):
            ts = pd.Timestamp(v).tz_localize(tz)
            if is_end:
                ts = ts + pd.Timedelta(days=1)
            return int(ts.tz_convert("UTC").value)
        ts = pd.Timestamp(v)
    except (ValueError, TypeError) as exc:
        raise Unprocessable(
            f"{name} '{value}' is not a date or date-time; use ISO 8601 such as 2020-01-31 or 2020-01-31T14:30:00Z."
        ) from exc
    if pd.isna(ts):
        raise Unprocessable(f"{name} '{value}' is not a date or date-time.")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value)


def parse_range(
    start: str | None,
    end: str | None,
    *,
    tz: str,
    timeframe: str,
    full_span: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """(start_ns, end_ns) in UTC. Without start/end: the whole series for fixed data sets
    (`full_span`), else a default lookback ending now."""
    end_ns = _parse(end, "end", tz, True) if end else (full_span[1] if full_span else now_ns())
    if start:
        start_ns = _parse(start, "start", tz, False)
    elif full_span:
        start_ns = min(full_span[0], end_ns - 1)
    else:
        start_ns = end_ns - DEFAULT_SPAN_NS[timeframe]
    if start_ns >= end_ns:
        raise Unprocessable(
            f"start ({pd.Timestamp(start_ns, tz='UTC').isoformat()}) must be before end "
            f"({pd.Timestamp(end_ns, tz='UTC').isoformat()}); swap them or widen the range."
        )
    if start_ns < int(pd.Timestamp("1970-01-01", tz="UTC").value):
        raise Unprocessable("start must be on or after 1970-01-01.")
    bars = (end_ns - start_ns) // TF_NS[timeframe]
    if bars > MAX_BARS:
        raise Unprocessable(
            f"the range holds up to {bars:,} {timeframe} bars; at most {MAX_BARS:,} per request. "
            "Shorten the range or use a coarser timeframe."
        )
    return start_ns, end_ns
