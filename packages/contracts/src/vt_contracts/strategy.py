"""StrategySpec v1: the typed, explainable definition of a trading strategy.

This model is the single source of truth for what a strategy means. The LLM is handed its
JSON Schema, the engine compiles it to signals, the front end edits it. Every field carries a
description written for a trader (and for the model that writes specs on a trader's behalf).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, model_validator

from vt_contracts._base import Contract

SCHEMA_VERSION = "1"

Timeframe = Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"]
"""Bar sizes the platform supports, from one minute to one week."""

TIMEFRAMES: tuple[Timeframe, ...] = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w")

Market = Literal["us_equity", "hk_equity", "crypto"]
"""Markets with a calendar and cost model: US equities/ETFs, Hong Kong equities, crypto."""

PriceField = Literal["open", "high", "low", "close", "volume"]

_ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
IndicatorId = Annotated[
    str,
    Field(
        pattern=_ID_PATTERN,
        description="Name this indicator is referred to by in conditions: lower-case letters, digits and underscores, starting with a letter (e.g. 'fast_ma', 'rsi_14').",
    ),
]

Symbol = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9^][A-Za-z0-9.^/:=_-]*$",
        description="Ticker as the data provider knows it: 'SPY', '0700.HK', 'BTC/USDT', '^VIX', or an offline sample such as 'SAMPLE:AAPL' or 'DEMO:TREND'.",
    ),
]


# --------------------------------------------------------------------------------------------
# Universe, period, capital
# --------------------------------------------------------------------------------------------


class Universe(Contract):
    """What is traded, on which market, at which bar size."""

    symbols: list[Symbol] = Field(
        min_length=1,
        max_length=100,
        description="Symbols traded. One symbol for a single-asset strategy; several for a basket sharing one cash account; exactly two for a pairs strategy.",
    )
    market: Market = Field(
        default="us_equity",
        description="Market of the symbols. Decides the trading calendar, whether fractional units are allowed (crypto) and annualisation (252 trading days for equities, 365 days for crypto).",
    )
    timeframe: Timeframe = Field(
        default="1d", description="Bar size of the data the strategy decides on."
    )
    weights: dict[str, float] | None = Field(
        default=None,
        description="Target capital weight per symbol for baskets (fractions summing to at most 1). Omit for equal weights.",
    )
    adjust: Literal["adjusted", "raw"] = Field(
        default="adjusted",
        description="Equity prices used. 'adjusted' (default): split- and dividend-adjusted, so returns are total returns, but past price levels are rescaled by later splits and dividends, which makes absolute levels (close > 100), fixed commissions and whole-share rounding use information from the future. 'raw': prices as traded on the day (a split shows as a jump in price; dividends are not credited as cash). Crypto is the same either way.",
    )

    @model_validator(mode="after")
    def _check_weights(self) -> Universe:
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("universe.symbols lists the same symbol twice; list each symbol once")
        if self.weights is not None:
            unknown = sorted(set(self.weights) - set(self.symbols))
            if unknown:
                raise ValueError(
                    f"universe.weights names symbols not in universe.symbols: {unknown}"
                )
            if any(w < 0 for w in self.weights.values()):
                raise ValueError("universe.weights must not be negative")
            if sum(self.weights.values()) > 1.0 + 1e-9:
                raise ValueError(
                    "universe.weights sum to more than 1; use fractions of capital that add up to 1 or less"
                )
        return self


class Period(Contract):
    """Date range of the backtest (inclusive). Omitted ends mean 'all available data'."""

    start: date | None = Field(default=None, description="First day of the backtest (YYYY-MM-DD).")
    end: date | None = Field(default=None, description="Last day of the backtest (YYYY-MM-DD).")

    @model_validator(mode="after")
    def _check_order(self) -> Period:
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"period.start ({self.start}) must be before period.end ({self.end})")
        return self


# --------------------------------------------------------------------------------------------
# Indicators (discriminated on `kind`)
# --------------------------------------------------------------------------------------------


class _Indicator(Contract):
    id: IndicatorId
    symbol: Symbol | None = Field(
        default=None,
        description="Compute this indicator on another symbol's data (e.g. '^VIX' for a volatility filter). Omit to compute it on each traded symbol.",
    )


class SMA(_Indicator):
    """Simple moving average of a price field over `window` bars."""

    kind: Literal["sma"] = "sma"
    source: PriceField = Field(default="close", description="Price field averaged.")
    window: int = Field(ge=1, le=1000, description="Number of bars averaged.")


class EMA(_Indicator):
    """Exponential moving average (span = `window`, no bias adjustment)."""

    kind: Literal["ema"] = "ema"
    source: PriceField = Field(default="close", description="Price field averaged.")
    window: int = Field(ge=1, le=1000, description="Span in bars (alpha = 2 / (window + 1)).")


class WMA(_Indicator):
    """Linearly weighted moving average: the newest bar weighs `window`, the oldest 1."""

    kind: Literal["wma"] = "wma"
    source: PriceField = Field(default="close", description="Price field averaged.")
    window: int = Field(ge=1, le=1000, description="Number of bars averaged.")


class RSI(_Indicator):
    """Relative Strength Index (Wilder smoothing), 0–100. Above 70 reads overbought, below 30 oversold."""

    kind: Literal["rsi"] = "rsi"
    source: PriceField = Field(default="close", description="Price field.")
    window: int = Field(default=14, ge=2, le=500, description="Look-back in bars.")


class MACD(_Indicator):
    """MACD: EMA(fast) - EMA(slow); outputs `macd` (the line), `signal` (EMA of the line) and `hist` (line - signal)."""

    kind: Literal["macd"] = "macd"
    source: PriceField = Field(default="close", description="Price field.")
    fast: int = Field(default=12, ge=1, le=500, description="Fast EMA span.")
    slow: int = Field(default=26, ge=2, le=1000, description="Slow EMA span; must exceed `fast`.")
    signal: int = Field(default=9, ge=1, le=500, description="Span of the signal-line EMA.")

    @model_validator(mode="after")
    def _check_spans(self) -> MACD:
        if self.fast >= self.slow:
            raise ValueError(
                f"macd '{self.id}': fast ({self.fast}) must be smaller than slow ({self.slow})"
            )
        return self


class BollingerBands(_Indicator):
    """Bollinger Bands: SMA(window) ± num_std population standard deviations. Outputs `upper`, `middle`, `lower`, `percent_b` (0 at lower, 1 at upper) and `bandwidth`."""

    kind: Literal["bbands"] = "bbands"
    source: PriceField = Field(default="close", description="Price field.")
    window: int = Field(default=20, ge=2, le=1000, description="Look-back in bars.")
    num_std: float = Field(
        default=2.0, gt=0, le=10, description="Band width in standard deviations."
    )


class ATR(_Indicator):
    """Average True Range (Wilder smoothing), in price units. Measures how much the price moves per bar."""

    kind: Literal["atr"] = "atr"
    window: int = Field(default=14, ge=1, le=500, description="Look-back in bars.")


class ADX(_Indicator):
    """Average Directional Index (Wilder), 0–100; above 25 reads as a trending market. Outputs `adx`, `plus_di`, `minus_di`."""

    kind: Literal["adx"] = "adx"
    window: int = Field(default=14, ge=2, le=500, description="Look-back in bars.")


class Stochastic(_Indicator):
    """Stochastic oscillator, 0–100. Outputs `k` (smoothed %K) and `d` (SMA of %K)."""

    kind: Literal["stoch"] = "stoch"
    k_window: int = Field(default=14, ge=1, le=500, description="Look-back for the high-low range.")
    smooth_k: int = Field(
        default=3, ge=1, le=100, description="SMA smoothing of raw %K (1 = fast stochastic)."
    )
    d_window: int = Field(default=3, ge=1, le=100, description="SMA span of %D.")


class Donchian(_Indicator):
    """Donchian channel: highest high and lowest low of the previous `window` bars, excluding the current bar so that a close above `upper` is a breakout. Outputs `upper`, `lower`, `middle`."""

    kind: Literal["donchian"] = "donchian"
    window: int = Field(default=20, ge=1, le=1000, description="Look-back in bars.")


class VWAP(_Indicator):
    """Volume-weighted average price of the typical price ((high+low+close)/3) over a rolling `window` of bars (omit for a running VWAP that resets each session day)."""

    kind: Literal["vwap"] = "vwap"
    window: int | None = Field(
        default=None, ge=1, le=10000, description="Rolling window in bars; omit to reset every day."
    )


class ROC(_Indicator):
    """Rate of change / return over `window` bars, in percent: 100 * (price / price `window` bars ago - 1)."""

    kind: Literal["roc"] = "roc"
    source: PriceField = Field(default="close", description="Price field.")
    window: int = Field(
        default=1, ge=1, le=1000, description="Look-back in bars (1 = one-bar return)."
    )


class RealizedVolatility(_Indicator):
    """Realised volatility: standard deviation of log returns over `window` bars, annualised to percent when `annualize` is true."""

    kind: Literal["realized_vol"] = "realized_vol"
    window: int = Field(default=20, ge=2, le=1000, description="Look-back in bars.")
    annualize: bool = Field(
        default=True,
        description="Scale to an annual figure in percent using the market's bars per year.",
    )


class ZScore(_Indicator):
    """Rolling z-score of a price field: (price - rolling mean) / rolling standard deviation."""

    kind: Literal["zscore"] = "zscore"
    source: PriceField = Field(default="close", description="Price field.")
    window: int = Field(default=20, ge=2, le=1000, description="Look-back in bars.")


class SpreadZScore(_Indicator):
    """Pairs-trading signal: z-score of the spread log(A) - beta * log(B) between two symbols, with beta estimated by rolling OLS over `window` bars (or fixed by `hedge_ratio`). Outputs `zscore`, `spread`, `beta`."""

    kind: Literal["spread_zscore"] = "spread_zscore"
    leg_a: Symbol = Field(description="First leg (bought when the spread is bought).")
    leg_b: Symbol = Field(description="Second leg (sold when the spread is bought).")
    window: int = Field(
        default=60,
        ge=5,
        le=2000,
        description="Look-back in bars for the hedge ratio and the z-score.",
    )
    hedge_ratio: float | None = Field(
        default=None, description="Fixed hedge ratio beta; omit to estimate it by rolling OLS."
    )


Indicator = Annotated[
    SMA
    | EMA
    | WMA
    | RSI
    | MACD
    | BollingerBands
    | ATR
    | ADX
    | Stochastic
    | Donchian
    | VWAP
    | ROC
    | RealizedVolatility
    | ZScore
    | SpreadZScore,
    Field(discriminator="kind"),
]

INDICATOR_OUTPUTS: dict[str, tuple[str, ...]] = {
    "sma": ("value",),
    "ema": ("value",),
    "wma": ("value",),
    "rsi": ("value",),
    "macd": ("macd", "signal", "hist"),
    "bbands": ("upper", "middle", "lower", "percent_b", "bandwidth"),
    "atr": ("value",),
    "adx": ("adx", "plus_di", "minus_di"),
    "stoch": ("k", "d"),
    "donchian": ("upper", "lower", "middle"),
    "vwap": ("value",),
    "roc": ("value",),
    "realized_vol": ("value",),
    "zscore": ("value",),
    "spread_zscore": ("zscore", "spread", "beta"),
}
"""Named outputs of each indicator kind; the first one is the default."""


# --------------------------------------------------------------------------------------------
# Operands and the condition tree
# --------------------------------------------------------------------------------------------


class IndicatorOperand(Contract):
    """The value of an indicator at the decision bar (or `shift` bars earlier)."""

    kind: Literal["indicator"] = "indicator"
    id: IndicatorId
    output: str | None = Field(
        default=None,
        description="Output of a multi-output indicator, e.g. 'signal' of a MACD or 'upper' of Bollinger Bands. Omit for the default output.",
    )
    shift: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Bars back from the decision bar (0 = current bar). Never negative: the future is not available.",
    )


class PriceOperand(Contract):
    """A price field of the traded symbol at the decision bar (or `shift` bars earlier)."""

    kind: Literal["price"] = "price"
    field: PriceField = Field(default="close", description="Price field.")
    shift: int = Field(
        default=0, ge=0, le=1000, description="Bars back from the decision bar (0 = current bar)."
    )


class ConstOperand(Contract):
    """A fixed number, e.g. an RSI threshold of 30."""

    kind: Literal["const"] = "const"
    value: float = Field(description="The number.")


Operand = Annotated[IndicatorOperand | PriceOperand | ConstOperand, Field(discriminator="kind")]

CompareOp = Literal[">", ">=", "<", "<=", "=="]


class Compare(Contract):
    """True when `left op right` holds on the decision bar."""

    kind: Literal["compare"] = "compare"
    left: Operand
    op: CompareOp = Field(description="Comparison operator.")
    right: Operand


class CrossesAbove(Contract):
    """True on the bar where `left` moves from at or below `right` to above it."""

    kind: Literal["crosses_above"] = "crosses_above"
    left: Operand
    right: Operand


class CrossesBelow(Contract):
    """True on the bar where `left` moves from at or above `right` to below it."""

    kind: Literal["crosses_below"] = "crosses_below"
    left: Operand
    right: Operand


class AllOf(Contract):
    """True when every sub-condition is true (logical AND)."""

    kind: Literal["all"] = "all"
    conditions: list[Condition] = Field(min_length=1, max_length=20)


class AnyOf(Contract):
    """True when at least one sub-condition is true (logical OR)."""

    kind: Literal["any"] = "any"
    conditions: list[Condition] = Field(min_length=1, max_length=20)


class Not(Contract):
    """True when the sub-condition is false."""

    kind: Literal["not"] = "not"
    condition: Condition


class ForNBars(Contract):
    """True when the sub-condition has held on each of the last `n` bars, the decision bar included (e.g. three consecutive up closes)."""

    kind: Literal["for_n_bars"] = "for_n_bars"
    condition: Condition
    n: int = Field(ge=1, le=500, description="Number of consecutive bars.")


Condition = Annotated[
    Compare | CrossesAbove | CrossesBelow | AllOf | AnyOf | Not | ForNBars,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------------------------
# Sizing, risk, costs, execution
# --------------------------------------------------------------------------------------------


class PercentOfEquity(Contract):
    """Each entry commits a percentage of current equity (of the symbol's weight in a basket)."""

    kind: Literal["percent_equity"] = "percent_equity"
    percent: float = Field(
        default=100.0, gt=0, le=100, description="Percent of equity per entry (100 = all in)."
    )


class FixedCash(Contract):
    """Each entry commits a fixed amount of cash (capped by the cash available)."""

    kind: Literal["fixed_cash"] = "fixed_cash"
    amount: float = Field(gt=0, description="Cash per entry, in the account currency.")


class VolatilityTarget(Contract):
    """Position size scaled so that the position's annualised volatility equals `target_vol_pct` of equity."""

    kind: Literal["volatility_target"] = "volatility_target"
    target_vol_pct: float = Field(
        default=15.0,
        gt=0,
        le=200,
        description="Target annualised volatility of the position, percent.",
    )
    lookback: int = Field(
        default=20, ge=5, le=500, description="Bars of returns used to estimate volatility."
    )
    max_leverage: float = Field(
        default=1.0, gt=0, le=5, description="Cap on position value / equity."
    )


class FractionalKelly(Contract):
    """Kelly sizing from the strategy's own past trade results, times `fraction` (0.5 = half Kelly), capped at `max_percent` of equity. Until `min_trades` trades have closed, `fallback_percent` is used."""

    kind: Literal["kelly"] = "kelly"
    fraction: float = Field(default=0.5, gt=0, le=1, description="Share of the full Kelly bet.")
    max_percent: float = Field(default=100.0, gt=0, le=100, description="Cap, percent of equity.")
    min_trades: int = Field(
        default=10, ge=1, le=1000, description="Closed trades needed before Kelly is trusted."
    )
    fallback_percent: float = Field(
        default=10.0, gt=0, le=100, description="Percent of equity per entry until then."
    )


Sizing = Annotated[
    PercentOfEquity | FixedCash | VolatilityTarget | FractionalKelly, Field(discriminator="kind")
]


class ScaleInStep(Contract):
    """An extra tranche added to an open position when price has moved `move_pct` from the first fill."""

    move_pct: float = Field(
        description="Move from the first fill that triggers the tranche, percent; negative adds on a dip, positive on strength."
    )
    fraction: float = Field(
        gt=0, le=1, description="Share of the full position size bought by this tranche."
    )


class PercentStop(Contract):
    """Stop loss a fixed percentage away from the entry price."""

    kind: Literal["percent"] = "percent"
    percent: float = Field(
        gt=0, le=100, description="Distance from entry, percent (5 = exit after a 5% adverse move)."
    )


class ATRStop(Contract):
    """Stop loss `multiple` ATRs away from the entry price (ATR measured at entry)."""

    kind: Literal["atr"] = "atr"
    multiple: float = Field(default=2.0, gt=0, le=50, description="Distance from entry in ATRs.")
    window: int = Field(default=14, ge=1, le=500, description="ATR look-back in bars.")


StopLoss = Annotated[PercentStop | ATRStop, Field(discriminator="kind")]


class TrailingStop(Contract):
    """Stop that follows the best price since entry at a fixed percentage."""

    percent: float = Field(
        gt=0, le=100, description="Distance from the best price since entry, percent."
    )


class TakeProfitStage(Contract):
    """Close `fraction` of the original position when the gain from entry reaches `gain_pct`."""

    gain_pct: float = Field(
        gt=0, le=10000, description="Gain from entry that triggers this stage, percent."
    )
    fraction: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of the original position closed at this stage (the last stage closes what is left).",
    )


class Risk(Contract):
    """Exits that protect capital, evaluated on every bar an order is open."""

    stop_loss: StopLoss | None = Field(
        default=None, description="Stop loss, by percent or ATR multiple."
    )
    trailing_stop: TrailingStop | None = Field(
        default=None, description="Trailing stop by percent."
    )
    take_profit: list[TakeProfitStage] = Field(
        default_factory=list,
        max_length=5,
        description="Staged take-profit, e.g. half at +15% and the rest at +30%. Stages in increasing gain order.",
    )
    max_holding_bars: int | None = Field(
        default=None, ge=1, le=100000, description="Close any position held this many bars."
    )

    @model_validator(mode="after")
    def _check_stages(self) -> Risk:
        gains = [s.gain_pct for s in self.take_profit]
        if gains != sorted(gains) or len(set(gains)) != len(gains):
            raise ValueError("risk.take_profit stages must have strictly increasing gain_pct")
        if sum(s.fraction for s in self.take_profit[:-1]) >= 1.0 + 1e-9:
            raise ValueError(
                "risk.take_profit: the stages before the last close the whole position; reduce their fractions"
            )
        return self


class Costs(Contract):
    """Trading costs. On by default: a backtest without costs flatters the strategy."""

    commission_pct: float = Field(
        default=0.1,
        ge=0,
        le=10,
        description="Commission as a percent of traded value (0.1 = 0.1% = 10 basis points).",
    )
    commission_fixed: float = Field(
        default=0.0,
        ge=0,
        le=1000,
        description="Fixed commission per order, in the account currency.",
    )
    slippage_pct: float = Field(
        default=0.05, ge=0, le=10, description="Adverse price move on every fill, percent of price."
    )


class Execution(Contract):
    """When and how orders fill."""

    fill: Literal["next_open", "close"] = Field(
        default="next_open",
        description="'next_open' (default, honest): decide on the close of bar t, fill at the open of bar t+1. 'close' fills on the signal bar's close — a research shortcut that assumes you can trade at a price you only know once the bar is over.",
    )
    fractional_units: bool | None = Field(
        default=None,
        description="Allow fractional units. Omit to follow the market: whole shares for equities, fractional for crypto.",
    )


class Pair(Contract):
    """Two-legged pairs trade: 'long' means buy leg_a and sell hedge_ratio x leg_b."""

    leg_a: Symbol = Field(description="Leg bought on a long-spread entry.")
    leg_b: Symbol = Field(description="Leg sold on a long-spread entry.")


class Benchmark(Contract):
    """What the strategy is compared against."""

    symbol: Symbol | None = Field(
        default=None,
        description="Benchmark symbol held buy-and-hold. Omit to buy and hold the traded universe.",
    )


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------


class StrategySpec(Contract):
    """A complete, deterministic trading strategy.

    Signals are evaluated on each bar's close; with the default execution, orders fill at the
    next bar's open. Entry conditions open a position, exit conditions (or risk exits) close it.
    """

    schema_version: Literal["1"] = Field(default="1", description="StrategySpec schema version.")
    name: str = Field(
        min_length=1,
        max_length=120,
        description="Short human name, e.g. 'SPY 20/50 SMA crossover'.",
    )
    description: str = Field(
        default="",
        max_length=2000,
        description="One or two sentences on the idea behind the strategy.",
    )
    universe: Universe
    period: Period = Field(default_factory=Period)
    indicators: list[Indicator] = Field(
        default_factory=list,
        max_length=30,
        description="Indicators the conditions refer to by `id`.",
    )
    direction: Literal["long", "short", "both"] = Field(
        default="long",
        description="'long' buys on `entry`; 'short' sells short on `entry`; 'both' buys on `entry` and sells short on `short_entry`.",
    )
    entry: Condition = Field(
        description="Condition that opens a position (long, or short when direction is 'short')."
    )
    exit: Condition | None = Field(
        default=None,
        description="Condition that closes the position opened by `entry`. Omit to rely on risk exits only.",
    )
    short_entry: Condition | None = Field(
        default=None, description="With direction 'both': condition that opens a short position."
    )
    short_exit: Condition | None = Field(
        default=None, description="With direction 'both': condition that closes the short position."
    )
    filters: list[Condition] = Field(
        default_factory=list,
        max_length=10,
        description="Regime filters: entries are only taken on bars where every filter is true (e.g. close above its 200-day SMA, ADX above 20). Exits are never filtered.",
    )
    pair: Pair | None = Field(
        default=None,
        description="Trade the universe as a pair: entries buy/sell the spread instead of single symbols.",
    )
    sizing: Sizing = Field(default_factory=PercentOfEquity, description="How large each entry is.")
    scale_in: list[ScaleInStep] = Field(
        default_factory=list,
        max_length=5,
        description="Extra tranches added to an open position; the first entry then buys what the tranches leave.",
    )
    risk: Risk = Field(default_factory=Risk)
    costs: Costs = Field(default_factory=Costs)
    execution: Execution = Field(default_factory=Execution)
    benchmark: Benchmark = Field(default_factory=Benchmark)
    initial_capital: float = Field(
        default=100_000.0, gt=0, le=1e12, description="Starting cash, in the account currency."
    )
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3,5}$", description="Account currency.")

    @model_validator(mode="after")
    def _check_consistency(self) -> StrategySpec:
        ids = [ind.id for ind in self.indicators]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"indicator ids must be unique; repeated: {dupes}")
        kinds = {ind.id: ind.kind for ind in self.indicators}
        for where, cond in self.conditions():
            for op in iter_operands(cond):
                if isinstance(op, IndicatorOperand):
                    if op.id not in kinds:
                        raise ValueError(
                            f"{where} refers to indicator '{op.id}', which is not defined in `indicators` (defined: {sorted(kinds) or 'none'})"
                        )
                    outputs = INDICATOR_OUTPUTS[kinds[op.id]]
                    if op.output is not None and op.output not in outputs:
                        raise ValueError(
                            f"{where}: indicator '{op.id}' ({kinds[op.id]}) has no output '{op.output}'; choose one of {list(outputs)}"
                        )
        if self.direction == "both" and self.short_entry is None:
            raise ValueError(
                "direction 'both' needs a `short_entry` condition (and usually a `short_exit`)"
            )
        if self.direction != "both" and (
            self.short_entry is not None or self.short_exit is not None
        ):
            raise ValueError("short_entry/short_exit are only used with direction 'both'")
        if self.pair is not None:
            legs = {self.pair.leg_a, self.pair.leg_b}
            if len(legs) != 2 or set(self.universe.symbols) != legs:
                raise ValueError(
                    "a pairs strategy trades exactly its two legs: universe.symbols must be [pair.leg_a, pair.leg_b]"
                )
        if sum(step.fraction for step in self.scale_in) >= 1.0:
            raise ValueError(
                "scale_in fractions must leave something for the first entry (sum below 1)"
            )
        return self

    def conditions(self) -> list[tuple[str, Condition]]:
        """Every top-level condition with the field it sits in."""
        found: list[tuple[str, Condition]] = [("entry", self.entry)]
        for name in ("exit", "short_entry", "short_exit"):
            cond = getattr(self, name)
            if cond is not None:
                found.append((name, cond))
        found.extend((f"filters[{i}]", f) for i, f in enumerate(self.filters))
        return found

    def canonical_json(self) -> str:
        """Deterministic JSON (sorted keys, no whitespace) used for hashing."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def spec_hash(self) -> str:
        """SHA-256 of the canonical JSON: identifies exactly this strategy definition."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def max_lookback(self) -> int:
        """Largest number of past bars any indicator or operand needs (a lower bound on warm-up)."""
        longest = 1
        for ind in self.indicators:
            for attr in ("window", "slow", "k_window"):
                value = getattr(ind, attr, None)
                if isinstance(value, int):
                    longest = max(longest, value)
            if isinstance(ind, MACD):
                longest = max(longest, ind.slow + ind.signal)
        for _, cond in self.conditions():
            for op in iter_operands(cond):
                if isinstance(op, IndicatorOperand | PriceOperand):
                    longest = max(longest, op.shift + 1)
        if isinstance(self.risk.stop_loss, ATRStop):
            longest = max(longest, self.risk.stop_loss.window)
        return longest


def iter_operands(cond: Condition) -> list[Operand]:
    """All operands inside a condition tree, depth first."""
    if isinstance(cond, Compare | CrossesAbove | CrossesBelow):
        return [cond.left, cond.right]
    if isinstance(cond, AllOf | AnyOf):
        return [op for sub in cond.conditions for op in iter_operands(sub)]
    return iter_operands(cond.condition)


def iter_conditions(cond: Condition) -> list[Condition]:
    """A condition and every condition nested in it, depth first."""
    if isinstance(cond, AllOf | AnyOf):
        return [cond, *(c for sub in cond.conditions for c in iter_conditions(sub))]
    if isinstance(cond, Not | ForNBars):
        return [cond, *iter_conditions(cond.condition)]
    return [cond]


def slugify(text: str) -> str:
    """Lower-case id-safe slug, e.g. 'Fast MA' -> 'fast_ma'."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return (slug if slug and slug[0].isalpha() else f"x_{slug}")[:40]


AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()
ForNBars.model_rebuild()
StrategySpec.model_rebuild()
