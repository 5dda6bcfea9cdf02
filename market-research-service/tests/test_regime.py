"""Trend, volatility, drawdown and recommendation rules on hand-built series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vt_research import regime


def frame(closes: list[float] | np.ndarray, spread: float = 0.01) -> pd.DataFrame:
    c = np.asarray(closes, dtype=float)
    prev = np.concatenate([[c[0]], c[:-1]])
    idx = pd.bdate_range("2020-01-01", periods=len(c), tz="UTC")
    return pd.DataFrame(
        {
            "open": prev,
            "high": np.maximum(c, prev) * (1 + spread),
            "low": np.minimum(c, prev) * (1 - spread),
            "close": c,
            "volume": 1.0,
        },
        index=idx,
    )


def test_linear_rise_is_strong_uptrend_with_hand_sma_values() -> None:
    # closes 1..250: SMA20 = mean(231..250) = 240.5, SMA50 = mean(201..250) = 225.5,
    # SMA200 = mean(51..250) = 150.5
    result = regime.classify_trend(frame(np.arange(1, 251)))
    inputs = result.derivation.inputs
    assert (inputs["sma20"], inputs["sma50"], inputs["sma200"]) == (240.5, 225.5, 150.5)
    assert result.adx is not None
    assert result.adx >= 25
    assert result.state == "strong_uptrend"


def test_linear_fall_is_strong_downtrend() -> None:
    assert regime.classify_trend(frame(np.arange(250, 0, -1))).state == "strong_downtrend"


def test_pullback_in_uptrend_is_uptrend_not_strong() -> None:
    # 1..240 then ten bars at 222: SMA20 = (mean(231..240) + 222) / 2 = (235.5 + 222) / 2 = 228.75
    # > close 222, so no full stack;
    # SMA50 = (sum(201..240) + 2220) / 50 = 220.8 < 222; SMA200 = (sum(51..240) + 2220) / 200 = 149.325
    closes = np.concatenate([np.arange(1, 241), np.full(10, 222.0)])
    result = regime.classify_trend(frame(closes))
    inputs = result.derivation.inputs
    assert inputs["sma20"] == 228.75
    assert inputs["sma50"] == 220.8
    assert inputs["sma200"] == 149.325
    assert result.state == "uptrend"


def test_chop_is_sideways() -> None:
    # 99, 101, 99, ... : every even-window SMA is exactly 100, so neither stack nor
    # close > SMA50 > SMA200 holds, whatever ADX says.
    closes = np.tile([99.0, 101.0], 130)
    result = regime.classify_trend(frame(closes))
    assert (result.derivation.inputs["sma20"], result.derivation.inputs["sma200"]) == (100.0, 100.0)
    assert result.state == "sideways"


def test_smooth_swing_counts_as_a_local_trend() -> None:
    # A slow sine is a range over years but a trend over weeks: the rules describe the latter.
    closes = 100 + 5 * np.sin(np.arange(260) / 6.0)
    assert regime.classify_trend(frame(closes)).state != "sideways"


def test_short_history_skips_sma200() -> None:
    result = regime.classify_trend(frame(np.arange(1, 81)))
    assert result.derivation.inputs["sma200"] is None
    assert "SMA200 conditions skipped" in result.derivation.formula
    assert result.state == "strong_uptrend"


def _vol_frame(calm: float, last: float, n_calm: int = 200, n_last: int = 20) -> pd.DataFrame:
    # alternating +x/-x log returns give a known, constant realised vol
    r = np.concatenate([np.tile([calm, -calm], n_calm // 2), np.tile([last, -last], n_last // 2)])
    return frame(100 * np.exp(np.concatenate([[0.0], np.cumsum(r)])))


def test_vol_spike_is_extreme_and_calm_is_low() -> None:
    spike = regime.classify_volatility(_vol_frame(0.005, 0.04), 252)
    # today's rv20 is the single highest of 201 values: (200 + 0.5) / 201 = 99.75 %
    assert spike.percentile == pytest.approx(99.75, abs=0.01)
    assert spike.regime == "extreme"
    calm = regime.classify_volatility(_vol_frame(0.04, 0.005, n_last=40), 252)
    assert calm.percentile is not None
    assert calm.percentile < 25
    assert calm.regime == "low"


def test_vol_percentile_thresholds() -> None:
    # a constant-amplitude series has one rv20 value throughout: every point ties, the percentile
    # is 50 and the regime normal, whatever the level: the rank matters, not the level.
    flat = regime.classify_volatility(_vol_frame(0.01, 0.01), 252)
    assert flat.percentile == pytest.approx(50.0, abs=0.01)
    assert flat.regime == "normal"


def test_vix_raises_but_never_lowers_the_regime() -> None:
    calm = _vol_frame(0.04, 0.005, n_last=40)
    assert regime.classify_volatility(calm, 252, vix=35).regime == "high"
    assert regime.classify_volatility(calm, 252, vix=45).regime == "extreme"
    assert regime.classify_volatility(calm, 252, vix=12).regime == "low"
    missing = regime.classify_volatility(calm, 252, vix=None, vix_reason="no VIX offline")
    assert missing.derivation.inputs["vix_unavailable"] == "no VIX offline"


@pytest.mark.parametrize(
    ("closes", "pct", "state"),
    [
        ([100, 120, 90], -25.0, "bear"),
        ([100, 120, 110], -8.333, "pullback"),
        ([100, 120, 100], -16.667, "correction"),
        ([100, 120, 119], -0.833, "at_high"),
    ],
)
def test_drawdown_states(closes: list[float], pct: float, state: str) -> None:
    idx = pd.bdate_range("2020-01-01", periods=len(closes), tz="UTC")
    result = regime.compute_drawdown(pd.Series(closes, index=idx, dtype=float))
    assert result.drawdown_pct == pytest.approx(pct, abs=1e-3)
    assert result.state == state
    assert result.derivation.inputs["peak_close"] == 120.0


def test_momentum_uses_126_bars_or_what_exists() -> None:
    idx = pd.bdate_range("2020-01-01", periods=200, tz="UTC")
    close = pd.Series(np.linspace(100, 299, 200), index=idx)
    # close_t = 299, close_(t-126) = 100 + 73 = 173 -> (299/173 - 1) * 100 = 72.832 %
    assert regime.compute_momentum(close).momentum_pct == pytest.approx(72.832, abs=1e-3)
    short = regime.compute_momentum(close.iloc[:11])
    assert short.derivation.inputs["bars"] == 10.0


@pytest.mark.parametrize(
    ("trend", "vol", "corr", "event", "expected"),
    [
        ("strong_uptrend", "low", None, False, ["trend_following", "momentum", "breakout"]),
        ("downtrend", "normal", None, False, ["trend_following", "momentum"]),
        ("sideways", "low", 0.8, False, ["mean_reversion", "breakout", "pairs"]),
        ("sideways", "high", 0.1, False, ["mean_reversion", "volatility_filtered"]),
        ("uptrend", "normal", None, True, ["trend_following", "momentum", "volatility_filtered"]),
        ("strong_uptrend", "extreme", 0.9, True, ["stay_flat", "volatility_filtered"]),
    ],
)
def test_recommendations(
    trend: regime.TrendState,
    vol: regime.VolatilityRegime,
    corr: float | None,
    event: bool,
    expected: list[str],
) -> None:
    assert regime.recommend(trend, vol, corr, event).types == expected
