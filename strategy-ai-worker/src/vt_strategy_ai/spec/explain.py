"""Plain-language explanation of a spec plus metadata. Every number comes from the spec or from a
computation on market data (signal frequency), never from a model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from vt_contracts import StrategySpec
from vt_contracts.strategy import (
    AllOf,
    AnyOf,
    ATRStop,
    Compare,
    Condition,
    ConstOperand,
    CrossesAbove,
    CrossesBelow,
    Not,
    Operand,
    PriceOperand,
)
from vt_strategy_ai.schemas import Explanation, IndicatorReading, SignalFrequency

_OP_TEXT = {
    ">": "is above",
    ">=": "is at or above",
    "<": "is below",
    "<=": "is at or below",
    "==": "equals",
}

_READINGS = {
    "sma": "Simple moving average: the average close of the last {window} bars; price above it reads as an uptrend.",
    "ema": "Exponential moving average over {window} bars: reacts faster than an SMA to recent prices.",
    "wma": "Weighted moving average over {window} bars: recent bars weigh most.",
    "rsi": "RSI over {window} bars, 0-100: above 70 reads overbought, below 30 oversold.",
    "macd": "MACD ({fast}/{slow}/{signal}): the line above its signal line reads as rising momentum.",
    "bbands": "Bollinger Bands ({window} bars, {num_std} std): closes outside the bands are unusually far from the average.",
    "atr": "ATR over {window} bars: the typical bar range in price units (volatility).",
    "adx": "ADX over {window} bars, 0-100: above 25 reads as a trending market, below 20 as range-bound.",
    "stoch": "Stochastic %K/%D ({k_window}/{smooth_k}/{d_window}): where the close sits in the recent high-low range, 0-100.",
    "donchian": "Donchian channel: the highest high / lowest low of the previous {window} bars; a close beyond it is a breakout.",
    "vwap": "VWAP: the volume-weighted average price; above it buyers paid up on average.",
    "roc": "Rate of change over {window} bars, percent: positive means price rose over the look-back.",
    "realized_vol": "Realised volatility over {window} bars (annualised percent): how much the price has been moving.",
    "zscore": "Z-score over {window} bars: how many standard deviations the price is from its average.",
    "spread_zscore": "Spread z-score of {leg_a} vs {leg_b} over {window} bars: a large value means the pair is stretched from its usual relationship.",
}


def _operand(op: Operand, names: Mapping[str, str]) -> str:
    if isinstance(op, ConstOperand):
        return f"{op.value:g}"
    shift = ""
    if op.shift:
        shift = " of the previous bar" if op.shift == 1 else f" {op.shift} bars earlier"
    if isinstance(op, PriceOperand):
        return f"the {op.field}{shift}"
    label = names.get(op.id, op.id)
    if op.output and op.output not in ("value",):
        label = f"{label} {op.output.replace('_', ' ')}"
    return f"{label}{shift}"


def describe(cond: Condition, names: Mapping[str, str]) -> str:
    if isinstance(cond, Compare):
        return f"{_operand(cond.left, names)} {_OP_TEXT[cond.op]} {_operand(cond.right, names)}"
    if isinstance(cond, CrossesAbove):
        return f"{_operand(cond.left, names)} crosses above {_operand(cond.right, names)}"
    if isinstance(cond, CrossesBelow):
        return f"{_operand(cond.left, names)} crosses below {_operand(cond.right, names)}"
    if isinstance(cond, AllOf):
        return " and ".join(describe(c, names) for c in cond.conditions)
    if isinstance(cond, AnyOf):
        return " or ".join(describe(c, names) for c in cond.conditions)
    if isinstance(cond, Not):
        return f"not ({describe(cond.condition, names)})"
    return f"{describe(cond.condition, names)} on each of the last {cond.n} bars"


def _names(spec: StrategySpec) -> dict[str, str]:
    out: dict[str, str] = {}
    for ind in spec.indicators:
        params = ind.model_dump()
        if ind.kind in ("sma", "ema", "wma", "rsi", "atr", "adx", "roc", "zscore", "donchian"):
            out[ind.id] = (
                f"the {params['window']}-bar {ind.kind.upper() if ind.kind != 'donchian' else 'Donchian channel'}"
            )
        elif ind.kind == "bbands":
            out[ind.id] = f"the Bollinger Band ({params['window']}, {params['num_std']:g})"
        elif ind.kind == "realized_vol":
            out[ind.id] = f"the {params['window']}-bar realised volatility"
        elif ind.kind == "macd":
            out[ind.id] = "the MACD"
        elif ind.kind == "stoch":
            out[ind.id] = "the stochastic"
        elif ind.kind == "spread_zscore":
            out[ind.id] = "the spread z-score"
        else:
            out[ind.id] = f"the {ind.kind.upper()}"
    return out


def _style(spec: StrategySpec) -> str:
    kinds = {i.kind for i in spec.indicators}
    text = spec.canonical_json()
    if spec.pair is not None or "spread_zscore" in kinds:
        return "pairs"
    if "crosses_above" in text or "donchian" in kinds or "macd" in kinds or "roc" in kinds:
        return "trend"
    if kinds & {"rsi", "bbands", "zscore", "stoch"}:
        return "reversion"
    if "for_n_bars" in text:
        return "reversion"
    return "trend"


def explain_rules(spec: StrategySpec) -> list[str]:
    """The entry, exit and filter rules in words, e.g. 'Entry: the 14-bar RSI is below 30.'"""
    names = _names(spec)
    rules = [f"Entry: {describe(spec.entry, names)}."]
    if spec.exit is not None:
        rules.append(f"Exit: {describe(spec.exit, names)}.")
    if spec.short_entry is not None:
        rules.append(f"Short entry: {describe(spec.short_entry, names)}.")
    if spec.short_exit is not None:
        rules.append(f"Short exit: {describe(spec.short_exit, names)}.")
    for f in spec.filters:
        rules.append(f"Only enters while {describe(f, names)}.")
    return rules


def explain(
    spec: StrategySpec,
    frequency: SignalFrequency,
    insight: dict[str, Any] | None = None,
) -> Explanation:
    syms = ", ".join(spec.universe.symbols)
    side = {"long": "Buys", "short": "Sells short", "both": "Trades both directions on"}[
        spec.direction
    ]
    rules = explain_rules(spec)
    summary = (
        f"{side} {syms} on {spec.universe.timeframe} bars ({spec.universe.market}). "
        + " ".join(rules)
        + f" Decisions use each bar's close; orders fill at the {'next open' if spec.execution.fill == 'next_open' else 'same close (research option)'}."
    )
    style = _style(spec)
    conditions = {
        "trend": [
            "Made for trending markets: it profits when moves persist after the signal.",
            "Expect whipsaws (small losses in a row) in sideways, choppy markets.",
        ],
        "reversion": [
            "Made for range-bound markets: it buys stretched moves and expects a snap back.",
            "Strong trends hurt it: a stretched price can keep stretching.",
        ],
        "pairs": [
            "Needs a stable relationship between the two legs; it profits when the spread reverts.",
            "A structural break (the relationship changes) produces losses that stops must limit.",
        ],
    }[style]
    if any(i.kind in ("realized_vol", "adx", "atr") for i in spec.indicators) and spec.filters:
        conditions.append(
            "A regime filter limits entries to the market state described in the rules."
        )
    risk: list[str] = []
    r = spec.risk
    if r.stop_loss is not None:
        if isinstance(r.stop_loss, ATRStop):
            risk.append(
                f"Stop loss {r.stop_loss.multiple:g} x ATR({r.stop_loss.window}) from entry."
            )
        else:
            risk.append(f"Stop loss {r.stop_loss.percent:g}% from entry.")
    if r.trailing_stop is not None:
        risk.append(f"Trailing stop {r.trailing_stop.percent:g}% from the best price since entry.")
    for stage in r.take_profit:
        risk.append(
            f"Take profit: close {stage.fraction:.0%} of the position at +{stage.gain_pct:g}%."
        )
    if r.max_holding_bars:
        risk.append(f"Positions close after at most {r.max_holding_bars} bars.")
    s = spec.sizing
    if s.kind == "percent_equity":
        risk.append(f"Each entry uses {s.percent:g}% of equity.")
    elif s.kind == "fixed_cash":
        risk.append(f"Each entry uses {s.amount:,.0f} {spec.currency}.")
    elif s.kind == "volatility_target":
        risk.append(
            f"Position sized to {s.target_vol_pct:g}% annualised volatility (look-back {s.lookback} bars, max leverage {s.max_leverage:g})."
        )
    else:
        risk.append(
            f"Kelly sizing at {s.fraction:g} of full Kelly, capped at {s.max_percent:g}% of equity ({s.fallback_percent:g}% until {s.min_trades} trades have closed)."
        )
    for step in spec.scale_in:
        risk.append(
            f"Scale in: add {step.fraction:.0%} of the full size when the price has moved {step.move_pct:+g}% from the first fill."
        )
    if spec.execution.fill == "close":
        risk.append(
            "Orders fill at the signal bar's close (a research shortcut: the close is only known once the bar is over)."
        )
    risk.append(
        f"Benchmark: buy and hold {spec.benchmark.symbol}."
        if spec.benchmark.symbol
        else "Benchmark: buy and hold the traded symbols."
    )
    c = spec.costs
    risk.append(
        f"Costs: {c.commission_pct:g}% commission{f' + {c.commission_fixed:g} fixed' if c.commission_fixed else ''} and {c.slippage_pct:g}% slippage per fill; starting capital {spec.initial_capital:,.0f} {spec.currency}."
    )
    readings = []
    for ind in spec.indicators:
        params = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in ind.model_dump().items()}
        template = _READINGS.get(ind.kind, "{kind}")
        try:
            text = template.format(**params)
        except (KeyError, IndexError):
            text = template
        readings.append(IndicatorReading(id=ind.id, kind=ind.kind, reading=text))
    return Explanation(
        summary=summary,
        rules=rules,
        expected_market_conditions=conditions,
        risk_assumptions=risk,
        indicators=readings,
        signal_frequency=frequency,
        market_insight=insight,
    )


def frames_needed(spec: StrategySpec) -> list[str]:
    """Every symbol whose OHLCV the engine needs to compile the spec."""
    out = list(spec.universe.symbols)
    for ind in spec.indicators:
        for sym in (
            getattr(ind, "symbol", None),
            getattr(ind, "leg_a", None),
            getattr(ind, "leg_b", None),
        ):
            if sym and sym not in out:
                out.append(sym)
    return out


def compute_frequency(
    spec: StrategySpec, data: Mapping[str, pd.DataFrame], provider: str | None
) -> SignalFrequency:
    """Entries per year of the spec's own signals on real data (engine's compile_spec)."""
    from vt_engine.compiler import compile_spec

    try:
        signals = compile_spec(spec, data)
    except Exception as exc:  # an engine error is reported, not raised
        message = getattr(exc, "message", None) or str(exc)
        return SignalFrequency(
            status="unavailable", detail=f"The signals could not be computed on the data: {message}"
        )
    key = next(iter(signals))
    sig = signals[key]
    idx = sig.entries.index
    if len(idx) < 2:
        return SignalFrequency(
            status="unavailable", detail="Too few bars in the period to count signals."
        )
    first, last = idx[0], idx[-1]
    years = max((last - first).total_seconds() / (365.25 * 86400), 1e-9)
    entries = int(sig.entries.sum())
    shorts = int(sig.short_entries.sum())
    per_year = round((entries + shorts) / years, 2)
    return SignalFrequency(
        status="computed",
        detail=f"{entries + shorts} entry signal(s) on {len(idx)} bars of {key} from {first.date()} to {last.date()}: {per_year:g} per year (before stops and position limits).",
        symbol=key,
        bars=len(idx),
        years=round(years, 3),
        entries=entries,
        short_entries=shorts,
        entries_per_year=per_year,
        first_bar=first.to_pydatetime(),
        last_bar=last.to_pydatetime(),
        data_provider=provider,
    )
