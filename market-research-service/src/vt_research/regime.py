"""Trend, volatility, momentum and drawdown from OHLCV, each with the formula it came from.

Pure functions: a pandas frame (DatetimeIndex, columns open/high/low/close/volume) in, numbers and
`Derivation`s out. No I/O, so the thresholds can be checked against hand-computed fixtures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from vt_contracts import Derivation
from vt_contracts.insight import StrategyType, TrendState, VolatilityRegime
from vt_research import indicators as ind

# Thresholds (documented in docs/research.md; change them there too).
ADX_TRENDING = 25.0
VOL_WINDOW = 20
VOL_LOW_PCT = 25.0
VOL_HIGH_PCT = 75.0
VOL_EXTREME_PCT = 95.0
VIX_HIGH = 30.0
VIX_EXTREME = 40.0
MOMENTUM_BARS = 126
CORRELATION_WINDOW = 60
CORRECTION_PCT = -10.0
BEAR_PCT = -20.0
PAIRS_MIN_CORRELATION = 0.7
MIN_BARS = 50


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return None
    return round(float(x), nd)


@dataclass
class TrendResult:
    state: TrendState
    derivation: Derivation
    adx: float | None


def classify_trend(frame: pd.DataFrame) -> TrendResult:
    """Moving-average structure (20/50/200) plus ADX(14) strength.

    strong_uptrend:   close > SMA20 > SMA50 > SMA200 and ADX >= 25
    strong_downtrend: close < SMA20 < SMA50 < SMA200 and ADX >= 25
    uptrend:          close > SMA50 > SMA200 (SMA50 > SMA200 skipped when SMA200 is unavailable)
    downtrend:        close < SMA50 < SMA200
    sideways:         anything else
    """
    close = frame["close"]
    c = float(close.iloc[-1])
    s20 = _r(float(ind.sma(close, 20).iloc[-1]))
    s50 = _r(float(ind.sma(close, 50).iloc[-1]))
    s200 = _r(float(ind.sma(close, 200).iloc[-1])) if len(close) >= 200 else None
    adx_v = _r(float(ind.adx(frame["high"], frame["low"], close, 14).iloc[-1]), 2)
    strong = adx_v is not None and adx_v >= ADX_TRENDING

    def above(a: float | None, b: float | None) -> bool:
        return a is None or b is None or a > b

    def below(a: float | None, b: float | None) -> bool:
        return a is None or b is None or a < b

    state: TrendState = "sideways"
    if s20 is not None and s50 is not None:
        bull_stack = c > s20 and s20 > s50 and above(s50, s200)
        bear_stack = c < s20 and s20 < s50 and below(s50, s200)
        if bull_stack and strong:
            state = "strong_uptrend"
        elif bear_stack and strong:
            state = "strong_downtrend"
        elif c > s50 and above(s50, s200):
            state = "uptrend"
        elif c < s50 and below(s50, s200):
            state = "downtrend"
    note = "" if s200 is not None else " (fewer than 200 bars: SMA200 conditions skipped)"
    return TrendResult(
        state=state,
        adx=adx_v,
        derivation=Derivation(
            formula=(
                "strong_uptrend if close>SMA20>SMA50>SMA200 and ADX14>=25; strong_downtrend if "
                "close<SMA20<SMA50<SMA200 and ADX14>=25; uptrend if close>SMA50>SMA200; downtrend "
                "if close<SMA50<SMA200; else sideways" + note
            ),
            inputs={
                "close": _r(c),
                "sma20": s20,
                "sma50": s50,
                "sma200": s200,
                "adx14": adx_v,
                "adx_trending_threshold": ADX_TRENDING,
                "last_bar": close.index[-1].isoformat(),
                "bars": float(len(close)),
            },
        ),
    )


@dataclass
class VolResult:
    regime: VolatilityRegime
    derivation: Derivation
    realised_vol: float | None
    percentile: float | None


def classify_volatility(
    frame: pd.DataFrame,
    periods_per_year: int,
    vix: float | None = None,
    vix_reason: str | None = None,
) -> VolResult:
    """Realised 20-bar volatility ranked against its own history in the frame.

    percentile < 25 -> low; < 75 -> normal; < 95 -> high; else extreme. When a VIX level is
    known, VIX >= 30 raises the regime to at least high and VIX >= 40 to extreme (never lowers it).
    """
    rv = ind.realised_vol(frame["close"], VOL_WINDOW, periods_per_year)
    current = float(rv.iloc[-1]) if len(rv) else float("nan")
    pct = ind.percentile_rank(rv, current) if not math.isnan(current) else float("nan")
    order: list[VolatilityRegime] = ["low", "normal", "high", "extreme"]
    if math.isnan(pct):
        regime: VolatilityRegime = "normal"
    elif pct < VOL_LOW_PCT:
        regime = "low"
    elif pct < VOL_HIGH_PCT:
        regime = "normal"
    elif pct < VOL_EXTREME_PCT:
        regime = "high"
    else:
        regime = "extreme"
    by_pct = regime
    if vix is not None:
        floor: VolatilityRegime | None = (
            "extreme" if vix >= VIX_EXTREME else "high" if vix >= VIX_HIGH else None
        )
        if floor is not None and order.index(floor) > order.index(regime):
            regime = floor
    inputs: dict[str, float | str | None] = {
        "realised_vol_20": _r(current),
        "percentile": _r(pct, 2),
        "history_points": float(int(rv.notna().sum())),
        "periods_per_year": float(periods_per_year),
        "regime_from_percentile": by_pct,
        "vix": _r(vix, 2),
    }
    if vix is None and vix_reason:
        inputs["vix_unavailable"] = vix_reason
    return VolResult(
        regime=regime,
        realised_vol=_r(current),
        percentile=_r(pct, 2),
        derivation=Derivation(
            formula=(
                "rv20 = stdev(ln(C_t/C_{t-1}), 20 bars) * sqrt(periods_per_year); percentile = "
                "(count(rv20 history < today) + 0.5 * count(== today)) / n * 100; low <25, normal <75, high <95, extreme "
                ">=95; VIX>=30 raises to at least high, VIX>=40 to extreme"
            ),
            inputs=inputs,
        ),
    )


@dataclass
class MomentumResult:
    momentum_pct: float | None
    derivation: Derivation


def compute_momentum(close: pd.Series, bars: int = MOMENTUM_BARS) -> MomentumResult:
    """Total return over the last `bars` bars (about six months of daily bars), in percent."""
    used = min(bars, len(close) - 1)
    value = ind.momentum(close, used) * 100.0 if used >= 1 else float("nan")
    return MomentumResult(
        momentum_pct=_r(value, 3),
        derivation=Derivation(
            formula=f"(close_t / close_(t-{used}) - 1) * 100",
            inputs={
                "close_t": _r(float(close.iloc[-1])),
                f"close_t_minus_{used}": _r(float(close.iloc[-1 - used])) if used >= 1 else None,
                "bars": float(used),
            },
        ),
    )


@dataclass
class DrawdownResult:
    drawdown_pct: float | None
    state: str
    derivation: Derivation


def compute_drawdown(close: pd.Series) -> DrawdownResult:
    """Drawdown from the highest close in the window; state at_high (>-2 %), pullback (>-10 %),
    correction (>-20 %) or bear (<=-20 %)."""
    peak = float(close.max())
    dd = (float(close.iloc[-1]) / peak - 1.0) * 100.0
    if dd > -2.0:
        state = "at_high"
    elif dd > CORRECTION_PCT:
        state = "pullback"
    elif dd > BEAR_PCT:
        state = "correction"
    else:
        state = "bear"
    return DrawdownResult(
        drawdown_pct=_r(dd, 3),
        state=state,
        derivation=Derivation(
            formula=(
                "(close_t / max(close over window) - 1) * 100; at_high > -2, pullback > -10, "
                "correction > -20, bear <= -20"
            ),
            inputs={
                "close_t": _r(float(close.iloc[-1])),
                "peak_close": _r(peak),
                "peak_at": close.index[int(close.to_numpy().argmax())].isoformat(),
                "window_start": close.index[0].isoformat(),
                "state": state,
            },
        ),
    )


@dataclass
class Recommendation:
    types: list[StrategyType]
    derivation: Derivation


def recommend(
    trend: TrendState,
    vol: VolatilityRegime,
    correlation: float | None,
    event_risk: bool,
) -> Recommendation:
    """Map the regime to strategy families that historically suit it (rules, not a forecast)."""
    types: list[StrategyType] = []
    if vol == "extreme":
        types = ["stay_flat", "volatility_filtered"]
    else:
        if trend in ("strong_uptrend", "strong_downtrend"):
            types = ["trend_following", "momentum"]
            if vol == "low":
                types.append("breakout")
        elif trend in ("uptrend", "downtrend"):
            types = ["trend_following", "momentum"]
        else:
            types = ["mean_reversion"]
            if vol == "low":
                types.append("breakout")
            if correlation is not None and correlation >= PAIRS_MIN_CORRELATION:
                types.append("pairs")
        if vol == "high" or event_risk:
            types.append("volatility_filtered")
    return Recommendation(
        types=types,
        derivation=Derivation(
            formula=(
                "extreme vol -> stay_flat, volatility_filtered; strong trend -> trend_following, "
                "momentum (+breakout if vol low); trend -> trend_following, momentum; sideways -> "
                "mean_reversion (+breakout if vol low, +pairs if corr >= 0.7); +volatility_filtered "
                "when vol high or an event is near"
            ),
            inputs={
                "trend_state": trend,
                "volatility_regime": vol,
                "correlation_to_benchmark": _r(correlation),
                "event_risk": "yes" if event_risk else "no",
            },
        ),
    )


@dataclass
class Analysis:
    trend: TrendResult
    vol: VolResult
    momentum: MomentumResult
    drawdown: DrawdownResult
    extra: dict[str, Derivation] = field(default_factory=dict)


def analyse(
    frame: pd.DataFrame,
    periods_per_year: int,
    vix: float | None = None,
    vix_reason: str | None = None,
) -> Analysis:
    """Run every price-based computation on one frame."""
    close = frame["close"]
    return Analysis(
        trend=classify_trend(frame),
        vol=classify_volatility(frame, periods_per_year, vix, vix_reason),
        momentum=compute_momentum(close),
        drawdown=compute_drawdown(close),
    )
