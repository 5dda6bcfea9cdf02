"""The data-quality report: flags problems, never fixes them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from vt_contracts.ohlcv import DataQualityReport, QualityIssue
from vt_market_data.core.bars import I64, Bars
from vt_market_data.core.calendars import (
    MarketInfo,
    local_ns,
    session_breaks,
    sessions_between,
)
from vt_market_data.core.timeframes import DAY_NS, TF_NS

JUMP_THRESHOLD = {
    "1m": 0.05,
    "5m": 0.07,
    "15m": 0.08,
    "30m": 0.10,
    "1h": 0.12,
    "4h": 0.15,
    "1d": 0.25,
    "1w": 0.40,
}


def _at(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC)


def _iso(ts_ns: int) -> str:
    return _at(ts_ns).strftime("%Y-%m-%d %H:%M UTC")


def drop_incomplete(bars: Bars) -> tuple[Bars, QualityIssue | None]:
    """Leave out bars without prices (NaN/inf); the report says how many and where."""
    prices = np.vstack([bars.open, bars.high, bars.low, bars.close])
    bad = ~np.isfinite(prices).all(axis=0) | ~np.isfinite(bars.volume)
    n = int(bad.sum())
    if n == 0:
        return bars, None
    first = int(bars.ts[bad][0])
    issue = QualityIssue(
        kind="missing_values",
        count=n,
        first_at=_at(first),
        detail=f"{n} bar(s) from the source had missing prices or volume (first at {_iso(first)}) and are not in the series.",
    )
    return bars.take(~bad), issue


def _mask_issue(mask: np.ndarray, ts: I64, kind: str, what: str) -> QualityIssue | None:
    n = int(mask.sum())
    if n == 0:
        return None
    first = int(ts[mask][0])
    return QualityIssue(
        kind=kind,  # type: ignore[arg-type]
        count=n,
        first_at=_at(first),
        detail=f"{n} bar(s) {what} (first at {_iso(first)}).",
    )


def _ranges(dates: list[pd.Timestamp]) -> str:
    shown = ", ".join(d.strftime("%Y-%m-%d") for d in dates[:5])
    return shown + (f" and {len(dates) - 5} more" if len(dates) > 5 else "")


def _gaps(bars: Bars, timeframe: str, info: MarketInfo) -> QualityIssue | None:
    ts = bars.ts
    if len(ts) < 2:
        return None
    step = TF_NS[timeframe]
    uniq = np.unique(ts)
    if info.calendar is not None and timeframe in (
        "1d",
        "1w",
        "1m",
        "5m",
        "15m",
        "30m",
        "1h",
        "4h",
    ):
        local = local_ns(uniq, info.timezone)
        days = np.unique(np.floor_divide(local, DAY_NS))
        held = pd.DatetimeIndex(pd.to_datetime(days * DAY_NS, unit="ns"))
        if timeframe == "1w":
            return None
        sessions = sessions_between(info.calendar, held[0], held[-1])
        missing = sessions.difference(held)
        issues_count = len(missing)
        first_missing: int | None = None
        detail_parts: list[str] = []
        if issues_count:
            first_day = missing[0].tz_localize(info.timezone).tz_convert("UTC")
            first_missing = int(first_day.value)
            detail_parts.append(
                f"{issues_count} trading session(s) of {info.calendar} missing: {_ranges(list(missing))}"
            )
        if timeframe not in ("1d", "1w"):
            # within a session: consecutive bars further apart than one bar, lunch breaks excused
            ldays = np.floor_divide(local, DAY_NS)
            same_day = ldays[1:] == ldays[:-1]
            diff = np.diff(uniq)
            gap = same_day & (diff > step)
            if gap.any():
                idx = np.flatnonzero(gap)
                day_index = pd.DatetimeIndex(pd.to_datetime(ldays[idx] * DAY_NS, unit="ns"))
                b_start, b_end = session_breaks(info.calendar, day_index)
                g_start = uniq[idx] + step
                g_end = uniq[idx + 1]
                excused = (b_start >= 0) & (g_start >= b_start) & (g_end <= b_end)
                real = idx[~excused]
                if real.size:
                    missing_bars = int(((uniq[real + 1] - uniq[real]) // step - 1).sum())
                    issues_count += missing_bars
                    f = int(uniq[real[0]] + step)
                    first_missing = f if first_missing is None else min(first_missing, f)
                    detail_parts.append(
                        f"{missing_bars} {timeframe} bar(s) missing inside sessions in {real.size} place(s), first after {_iso(int(uniq[real[0]]))}"
                    )
        if not issues_count or first_missing is None:
            return None
        return QualityIssue(
            kind="gap",
            count=issues_count,
            first_at=_at(first_missing),
            detail="; ".join(detail_parts) + " (exchange holidays are not counted).",
        )
    diff = np.diff(uniq)
    if info.market is None and timeframe in ("1d", "1w"):
        limit = step * (4 if timeframe == "1d" else 2)  # no calendar: weekends/holidays tolerated
        gap = diff > limit
    elif info.market is None:
        days = np.floor_divide(uniq, DAY_NS)
        gap = (days[1:] == days[:-1]) & (diff > step)
    else:
        gap = diff > step
    if not gap.any():
        return None
    idx = np.flatnonzero(gap)
    missing_bars = int((diff[idx] // step - 1).sum())
    return QualityIssue(
        kind="gap",
        count=max(1, missing_bars),
        first_at=_at(int(uniq[idx[0]] + step)),
        detail=f"{max(1, missing_bars)} {timeframe} bar(s) missing in {idx.size} place(s), first after {_iso(int(uniq[idx[0]]))}.",
    )


def quality_report(
    bars: Bars,
    timeframe: str,
    info: MarketInfo,
    extra: list[QualityIssue] | None = None,
) -> DataQualityReport:
    """Check a series for gaps, duplicates, non-positive prices, high < low, inconsistent OHLC
    and suspicious jumps."""
    issues: list[QualityIssue] = list(extra or [])
    ts = bars.ts
    if len(bars):
        dup = np.zeros(len(ts), dtype=bool)
        dup[1:] = ts[1:] == ts[:-1]
        checks = [
            (dup, "duplicate_timestamp", "share a timestamp with the bar before them"),
            (
                (bars.open <= 0) | (bars.high <= 0) | (bars.low <= 0) | (bars.close <= 0),
                "non_positive_price",
                "have a zero or negative price",
            ),
            (bars.high < bars.low, "high_below_low", "have high below low"),
        ]
        tol = 1e-9 * np.maximum(np.abs(bars.high), 1.0)
        inconsistent = (
            (bars.open > bars.high + tol)
            | (bars.open < bars.low - tol)
            | (bars.close > bars.high + tol)
            | (bars.close < bars.low - tol)
        ) & (bars.high >= bars.low)
        checks.append((inconsistent, "ohlc_inconsistent", "have open or close outside high-low"))
        if len(bars) > 1:
            prev = bars.close[:-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                change = np.abs(bars.close[1:] / prev - 1.0)
            jump = np.zeros(len(ts), dtype=bool)
            jump[1:] = (prev > 0) & (change > JUMP_THRESHOLD[timeframe])
            checks.append(
                (
                    jump,
                    "suspicious_jump",
                    f"move more than {JUMP_THRESHOLD[timeframe]:.0%} close-to-close",
                )
            )
        for mask, kind, what in checks:
            found = _mask_issue(mask, ts, kind, what)
            if found is not None:
                issues.append(found)
        gap = _gaps(bars, timeframe, info)
        if gap is not None:
            issues.append(gap)
    return DataQualityReport(bars=len(bars), issues=issues)
