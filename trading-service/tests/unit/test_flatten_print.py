"""Which print a kill's flatten fills against when its deployment's clock has ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd

from vt_trading.trading.flatten import clock_ended, flatten_print

LAST = datetime(2011, 12, 30, 5, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def frame(*days: int) -> pd.DataFrame:
    idx = pd.DatetimeIndex([pd.Timestamp(LAST) + pd.Timedelta(days=d) for d in days])
    n = len(idx)
    return pd.DataFrame(
        {
            "open": [10.0 + d for d in days],
            "high": [11.0 + d for d in days],
            "low": [9.0 + d for d in days],
            "close": [10.5 + d for d in days],
            "volume": [100.0] * n,
        },
        index=idx,
    )


def test_the_next_bar_after_the_last_processed_one_gives_its_open() -> None:
    px = flatten_print(frame(-1, 0, 4, 5), LAST, Decimal("12.5"), DAY)
    assert px is not None
    assert px.basis == "next_open"
    assert px.ts == pd.Timestamp(LAST) + pd.Timedelta(days=4)
    assert px.bar["open"] == 14.0


def test_no_later_bar_fills_at_the_last_close_at_that_bars_close() -> None:
    for data in (frame(-1, 0), None, frame()):
        px = flatten_print(data, LAST, Decimal("12.5"), DAY)
        assert px is not None
        assert px.basis == "last_close"
        assert px.ts == pd.Timestamp(LAST + DAY)
        assert px.bar == {"open": 12.5, "high": 12.5, "low": 12.5, "close": 12.5, "volume": 0.0}


def test_no_price_at_all_leaves_the_order_working() -> None:
    assert flatten_print(None, LAST, None, DAY) is None


def test_which_clocks_have_ended() -> None:
    assert not clock_ended("running", None)
    assert not clock_ended("running", False)
    assert clock_ended("running", True)
    for status in ("stopped", "paused", "expired", "failed"):
        assert clock_ended(status, False)
