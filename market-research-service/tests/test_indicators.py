"""Indicators against values computed by hand (see the comments for the arithmetic)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vt_research import indicators as ind


def s(values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values), tz="UTC"))


def test_sma_is_nan_until_window_then_mean() -> None:
    out = ind.sma(s([1, 2, 3, 4, 5]), 3)
    assert out.iloc[:2].isna().all()
    assert out.iloc[2:].tolist() == [2.0, 3.0, 4.0]


def test_realised_vol_two_returns() -> None:
    # ln(110/100) = 0.0953102, ln(99/110) = -0.1053605; stdev(ddof=1) of two values = |a-b|/sqrt(2)
    # = 0.2006707/1.4142136 = 0.1418962; * sqrt(252) = 2.2525...
    out = ind.realised_vol(s([100, 110, 99]), 2, 252)
    expected = abs(math.log(1.1) - math.log(0.9)) / math.sqrt(2) * math.sqrt(252)
    assert out.iloc[-1] == pytest.approx(expected)
    assert out.iloc[-1] == pytest.approx(2.2525, abs=1e-3)


def test_percentile_rank_counts_ties_half() -> None:
    hist = s([1, 2, 3, 4, float("nan")])
    assert ind.percentile_rank(hist, 3) == 62.5  # (2 below + 0.5 * 1 equal) / 4 non-NaN values
    assert ind.percentile_rank(hist, 0.5) == 0.0
    assert ind.percentile_rank(hist, 5) == 100.0
    assert ind.percentile_rank(s([2, 2, 2, 2]), 2) == 50.0  # a constant history is "median"
    assert math.isnan(ind.percentile_rank(s([float("nan")]), 1))


def test_drawdown_from_running_peak() -> None:
    out = ind.drawdown(s([10, 12, 9, 12, 6]))
    assert out.tolist() == pytest.approx([0.0, 0.0, -0.25, 0.0, -0.5])


def test_momentum() -> None:
    assert ind.momentum(s([100, 110, 121]), 2) == pytest.approx(0.21)
    assert math.isnan(ind.momentum(s([100, 110]), 2))


def test_wilder_smoothing_seed_and_recursion() -> None:
    # seed = mean(2, 4) = 3 at index 1; then 3 + (6-3)/2 = 4.5; 4.5 + (0-4.5)/2 = 2.25
    out = ind.wilder_smooth(s([2, 4, 6, 0]), 2)
    assert math.isnan(out.iloc[0])
    assert out.iloc[1:].tolist() == pytest.approx([3.0, 4.5, 2.25])


def test_adx_by_hand_window_2() -> None:
    # t: H, L, C
    # 0: 10, 8, 9
    # 1: 11, 9, 10    TR=2    +DM=1   -DM=0
    # 2: 12, 10, 11   TR=2    +DM=1   -DM=0
    # 3: 11.5, 9, 9.5 TR=2.5  +DM=0   -DM=1
    # 4: 12, 9.5, 11.5 TR=2.5 +DM=0.5 -DM=0
    # ATR(RMA2): t2 2, t3 2.25, t4 2.375; +DMs: 1, 0.5, 0.5; -DMs: 0, 0.5, 0.25
    # +DI: 50, 22.22, 21.05; -DI: 0, 22.22, 10.53; DX: 100, 0, 33.33
    # ADX = RMA2(DX): t3 = (100+0)/2 = 50; t4 = 50 + (33.33-50)/2 = 41.667
    high = s([10, 11, 12, 11.5, 12])
    low = s([8, 9, 10, 9, 9.5])
    close = s([9, 10, 11, 9.5, 11.5])
    out = ind.adx(high, low, close, 2)
    assert out.iloc[:3].isna().all()
    assert out.iloc[3] == pytest.approx(50.0)
    assert out.iloc[4] == pytest.approx(41.6667, abs=1e-3)


def test_adx_of_steady_trend_is_high_and_never_looks_ahead() -> None:
    n = 120
    close = s(list(np.linspace(100, 200, n)))
    out = ind.adx(close * 1.01, close * 0.99, close, 14)
    assert out.iloc[-1] > 50
    truncated = ind.adx(close.iloc[:80] * 1.01, close.iloc[:80] * 0.99, close.iloc[:80], 14)
    pd.testing.assert_series_equal(out.iloc[:80], truncated)


def test_return_correlation_of_identical_and_opposite_series() -> None:
    a = s([100, 101, 99, 102, 103, 101, 104])
    corr, n = ind.return_correlation(a, a * 2, 60)
    assert corr == pytest.approx(1.0)
    assert n == 6
    inv = s(list(1.0 / a.to_numpy()))
    corr_inv, _ = ind.return_correlation(a, inv, 60)
    assert corr_inv == pytest.approx(-1.0)
