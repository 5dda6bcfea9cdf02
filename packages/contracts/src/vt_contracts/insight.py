"""Market insight: regime, trend, volatility and sentiment for one symbol or market."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from vt_contracts._base import Contract

TrendState = Literal["strong_uptrend", "uptrend", "sideways", "downtrend", "strong_downtrend"]
VolatilityRegime = Literal["low", "normal", "high", "extreme"]
StrategyType = Literal[
    "momentum",
    "trend_following",
    "mean_reversion",
    "breakout",
    "volatility_filtered",
    "pairs",
    "stay_flat",
]


class Derivation(Contract):
    """How a figure was computed: inputs and formula, so no number is a black box."""

    formula: str
    inputs: dict[str, float | str | None] = Field(default_factory=dict)


class TopAsset(Contract):
    symbol: str
    momentum_pct: float


class Insight(Contract):
    """A structured, explainable market insight."""

    symbol: str
    as_of: AwareDatetime
    sentiment_score: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="-1 (bearish) .. 1 (bullish); null when no source was reachable.",
    )
    sentiment_reason: str | None = Field(
        default=None, description="Why sentiment is what it is, or why it is null."
    )
    trend_state: TrendState
    volatility_regime: VolatilityRegime
    momentum_pct: float | None = None
    drawdown_pct: float | None = None
    correlation_to_benchmark: float | None = None
    benchmark: str | None = None
    top_assets: list[TopAsset] = Field(default_factory=list)
    risk_flag: bool = False
    risk_reasons: list[str] = Field(default_factory=list)
    recommended_strategy_types: list[StrategyType] = Field(default_factory=list)
    derivations: dict[str, Derivation] = Field(
        default_factory=dict, description="Formula and inputs per field."
    )
