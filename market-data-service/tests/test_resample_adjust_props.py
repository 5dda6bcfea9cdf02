"""Property tests: OHLCV aggregation and price adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vt_market_data.core.adjust import apply_adjusted_close, split_factors, unadjust_splits
from vt_market_data.core.bars import Bars
from vt_market_data.core.calendars import market_info
from vt_market_data.core.resample import bin_starts, resample
from vt_market_data.core.timeframes import MINUTE_NS, TF_NS, can_derive

PAIRS = [(s, t) for s in TF_NS for t in TF_NS if s != t and can_derive(t, s)]
MARKETS = ["us_equity", "hk_equity", "crypto", None]
T0 = int(pd.Timestamp("2024-03-04 14:30", tz="UTC").value)  # spans the US DST switch below


@st.composite
def bar_series(draw: st.DrawFn) -> tuple[Bars, str, str, str | None]:
    source, target = draw(st.sampled_from(PAIRS))
    market = draw(st.sampled_from(MARKETS))
    n = draw(st.integers(min_value=1, max_value=120))
    step = TF_NS[source]
    gaps = draw(st.lists(st.integers(min_value=1, max_value=5), min_size=n, max_size=n))
    ts = T0 + np.cumsum(np.asarray(gaps, dtype=np.int64)) * step
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.01)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.01)
    volume = np.round(rng.random(n) * 1000, 3)
    return Bars.from_arrays(ts, open_, high, low, close, volume), source, target, market


@settings(max_examples=60, deadline=None)
@given(bar_series())
def test_aggregation_is_first_max_min_last_sum(case: tuple[Bars, str, str, str | None]) -> None:
    bars, source, target, market = case
    info = market_info(market)
    out = resample(bars, source, target, info)
    keys = bin_starts(bars.ts, target, info)
    assert len(out) == len(np.unique(keys))
    assert np.all(np.diff(out.ts) > 0)
    assert np.isclose(out.volume.sum(), bars.volume.sum())  # volume conserved
    for i, k in enumerate(out.ts):
        members = keys == k
        assert out.open[i] == bars.open[members][0]
        assert out.close[i] == bars.close[members][-1]
        assert out.high[i] == bars.high[members].max()
        assert out.low[i] == bars.low[members].min()
        assert out.high[i] >= out.low[i]
        # every bar lies in its bin, which is no longer than the target
        first = bars.ts[members][0]
        assert k <= first
        if target not in ("1d", "1w"):
            assert bars.ts[members][-1] < k + TF_NS[target]


def test_session_anchored_hours_for_equities() -> None:
    # 1m bars of one New York session, 09:30-16:00 local
    start = int(pd.Timestamp("2024-06-03 09:30", tz="America/New_York").value)
    ts = start + np.arange(390, dtype=np.int64) * MINUTE_NS
    ones = np.ones(390)
    bars = Bars.from_arrays(ts, ones, ones, ones, ones, ones)
    hourly = resample(bars, "1m", "1h", market_info("us_equity"))
    local = pd.DatetimeIndex(pd.to_datetime(hourly.ts, utc=True)).tz_convert("America/New_York")
    assert [t.strftime("%H:%M") for t in local] == [
        "09:30",
        "10:30",
        "11:30",
        "12:30",
        "13:30",
        "14:30",
        "15:30",
    ]
    assert hourly.volume.tolist() == [60.0] * 6 + [30.0]
    daily = resample(bars, "1m", "1d", market_info("us_equity"))
    assert len(daily) == 1
    assert pd.Timestamp(int(daily.ts[0]), tz="UTC") == pd.Timestamp(
        "2024-06-03", tz="America/New_York"
    )


def test_hong_kong_session_is_one_day() -> None:
    # morning and afternoon sessions (lunch break between) make one daily bar on the local date
    morning = pd.date_range(
        "2024-06-03 09:30", "2024-06-03 11:59", freq="1min", tz="Asia/Hong_Kong"
    )
    afternoon = pd.date_range(
        "2024-06-03 13:00", "2024-06-03 15:59", freq="1min", tz="Asia/Hong_Kong"
    )
    idx = morning.append(afternoon)
    ts = idx.tz_convert("UTC").as_unit("ns").asi8
    ones = np.ones(len(ts))
    daily = resample(
        Bars.from_arrays(ts, ones, ones, ones, ones, ones), "1m", "1d", market_info("hk_equity")
    )
    assert len(daily) == 1
    assert daily.volume[0] == len(ts)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=50),
    st.lists(
        st.tuples(st.integers(-10, 1010), st.sampled_from([2.0, 3.0, 4.0, 0.5, 7.0, 1.5])),
        max_size=5,
    ),
)
def test_split_unadjustment(days: list[int], splits: list[tuple[int, float]]) -> None:
    ts = np.asarray(sorted(set(days)), dtype=np.int64)
    n = len(ts)
    prices = np.linspace(10, 20, n)
    vol = np.linspace(100, 200, n)
    bars = Bars.from_arrays(ts, prices, prices * 1.01, prices * 0.99, prices, vol)
    s_ts = [s[0] for s in splits]
    s_ratio = [s[1] for s in splits]
    raw = unadjust_splits(bars, s_ts, s_ratio)
    f = split_factors(ts, s_ts, s_ratio)
    for i, t in enumerate(ts):
        expected = float(np.prod([r for d, r in splits if d > t])) if splits else 1.0
        assert np.isclose(f[i], expected)
    # traded value (price x volume) is unchanged by splits, and the OHLC order is kept
    assert np.allclose(raw.close * raw.volume, bars.close * bars.volume)
    assert np.all(raw.high >= raw.low)
    # bars after the last split are as traded already
    if splits:
        after = ts >= max(s_ts)
        assert np.allclose(raw.close[after], bars.close[after])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1000), st.floats(0.05, 1.0)), min_size=1, max_size=50))
def test_adjusted_close_scaling(rows: list[tuple[float, float]]) -> None:
    close = np.asarray([r[0] for r in rows])
    ratio = np.asarray([r[1] for r in rows])
    ts = np.arange(len(rows), dtype=np.int64)
    bars = Bars.from_arrays(ts, close * 0.99, close * 1.02, close * 0.98, close, np.ones(len(rows)))
    adj = apply_adjusted_close(bars, close * ratio)
    assert np.allclose(adj.close, close * ratio)
    assert np.allclose(adj.open / bars.open, ratio)
    assert np.allclose(adj.high / bars.high, ratio)
    assert np.allclose(adj.low / bars.low, ratio)
    assert np.all(adj.high >= adj.low)
    assert np.array_equal(adj.volume, bars.volume)
