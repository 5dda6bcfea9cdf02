"""Timeframes: durations and parsing."""

from __future__ import annotations

from typing import Final

from vt_contracts.strategy import TIMEFRAMES, Timeframe
from vt_kit.problems import Unprocessable

MINUTE_NS: Final = 60 * 1_000_000_000
DAY_NS: Final = 24 * 60 * MINUTE_NS

TF_NS: Final[dict[str, int]] = {
    "1m": MINUTE_NS,
    "5m": 5 * MINUTE_NS,
    "15m": 15 * MINUTE_NS,
    "30m": 30 * MINUTE_NS,
    "1h": 60 * MINUTE_NS,
    "4h": 240 * MINUTE_NS,
    "1d": DAY_NS,
    "1w": 7 * DAY_NS,
}

DAILY_OR_MORE: Final = frozenset({"1d", "1w"})


def parse_timeframe(value: str) -> Timeframe:
    """Validate a timeframe string; 422 with the allowed values otherwise."""
    tf = value.strip()
    aliases = {"60m": "1h", "1wk": "1w", "d": "1d", "1D": "1d", "1W": "1w", "1H": "1h"}
    tf = aliases.get(tf, tf)
    if tf not in TIMEFRAMES:
        raise Unprocessable(
            f"timeframe '{value}' is not supported; use one of {', '.join(TIMEFRAMES)}."
        )
    return tf  # type: ignore[return-value]


def tf_ns(tf: str) -> int:
    return TF_NS[tf]


def can_derive(target: str, source: str) -> bool:
    """True when bars of `target` can be aggregated from bars of `source`."""
    if source == target:
        return True
    if target in DAILY_OR_MORE:
        return TF_NS[source] <= TF_NS[target]
    return TF_NS[target] > TF_NS[source] and TF_NS[target] % TF_NS[source] == 0
