"""Validation and feasibility of a candidate spec: contract validation, pruning, contradictions,
missing exits, supported markets/timeframes, and the default protective stop.

Decision (documented in docs/strategy-ai.md): a spec with no exit condition and no risk exit
gets a protective 10% stop loss, and the reply SAYS so in `warnings`. A crossover entry for which
the user described no exit at all (no exit clause, no stop/take-profit/holding limit) gets the
opposite cross as exit (listed in the assumptions by the parser).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from vt_contracts import StrategySpec
from vt_contracts.strategy import (
    AllOf,
    Compare,
    Condition,
    ConstOperand,
    IndicatorOperand,
    Operand,
)
from vt_strategy_ai.catalog import SUPPORTED_TIMEFRAMES, market_of

DEFAULT_STOP_PCT = 10.0
_BOUNDED = {"rsi": (0.0, 100.0), "stoch": (0.0, 100.0), "adx": (0.0, 100.0)}


@dataclass
class Checked:
    spec: StrategySpec | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def validation_messages(exc: ValidationError) -> list[str]:
    """Readable 'path: message' lines (fed back to the LLM on retry, shown to users)."""
    out: list[str] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        out.append(f"{loc or 'spec'}: {err.get('msg', 'invalid')}")
    return out


def _prune_unused(data: dict[str, Any]) -> None:
    inds = data.get("indicators")
    if not isinstance(inds, list):
        return
    text = json.dumps(
        {k: data.get(k) for k in ("entry", "exit", "short_entry", "short_exit", "filters")}
    )
    data["indicators"] = [
        i for i in inds if not isinstance(i, dict) or f'"id": "{i.get("id")}"' in text
    ]


def check_spec(candidate: dict[str, Any], *, add_default_stop: bool = True) -> Checked:
    """Validate a candidate spec dict and collect warnings; never returns a half-valid spec."""
    data = json.loads(json.dumps(candidate, default=str))
    if not isinstance(data, dict):
        return Checked(None, ["the strategy must be a JSON object"])
    _prune_unused(data)
    warnings: list[str] = []
    try:
        spec = StrategySpec.model_validate(data)
    except ValidationError as exc:
        return Checked(None, validation_messages(exc))
    if spec.exit is None and _no_risk_exit(spec) and add_default_stop:
        risk = spec.risk.model_dump(mode="json")
        risk["stop_loss"] = {"kind": "percent", "percent": DEFAULT_STOP_PCT}
        spec = spec.model_copy(update={"risk": type(spec.risk).model_validate(risk)})
        spec = StrategySpec.model_validate(spec.model_dump(mode="json"))
        warnings.append(
            f"The strategy has no exit condition and no risk exit, so I added a protective {DEFAULT_STOP_PCT:g}% stop loss (risk.stop_loss). "
            "Tell me your exit (e.g. 'sell when RSI is above 70', 'take profit at 10%') or change the stop."
        )
    elif spec.exit is None:
        warnings.append(
            "There is no exit rule: positions close only through the risk exits (stop, trailing stop, take-profit, max holding)."
        )
    warnings.extend(feasibility(spec))
    warnings.extend(contradictions(spec))
    return Checked(spec, [], warnings)


def _no_risk_exit(spec: StrategySpec) -> bool:
    r = spec.risk
    return (
        r.stop_loss is None
        and r.trailing_stop is None
        and not r.take_profit
        and r.max_holding_bars is None
    )


def feasibility(spec: StrategySpec) -> list[str]:
    out: list[str] = []
    if spec.universe.timeframe not in SUPPORTED_TIMEFRAMES:
        out.append(f"Timeframe {spec.universe.timeframe} is not supported.")
    for sym in spec.universe.symbols:
        guessed = market_of(sym)
        if guessed != spec.universe.market and not sym.upper().startswith(("SAMPLE:", "DEMO:")):
            out.append(
                f"{sym} looks like a {guessed} symbol but the strategy's market is {spec.universe.market}; check the market."
            )
    if (
        spec.universe.market == "crypto"
        and spec.universe.timeframe in ("1m",)
        and spec.period.start is None
    ):
        out.append(
            "1-minute crypto history is large; set a period (e.g. 'since 2024') for a quick backtest."
        )
    if spec.universe.market != "crypto" and spec.universe.timeframe in ("1m", "5m"):
        out.append(
            "Intraday equity data from free providers usually covers only the last weeks; expect a short history."
        )
    if spec.direction in ("short", "both") and spec.universe.market == "hk_equity":
        out.append(
            "Short selling Hong Kong equities is restricted to designated securities; check yours is shortable."
        )
    for where, cond in spec.conditions():
        _bounded_thresholds(spec, where, cond, out)
    return out


def _bounded_thresholds(spec: StrategySpec, where: str, cond: Condition, out: list[str]) -> None:
    kinds = {i.id: i.kind for i in spec.indicators}
    for c in _compares(cond):
        left, right = c.left, c.right
        if isinstance(left, IndicatorOperand) and isinstance(right, ConstOperand):
            bounds = _BOUNDED.get(kinds.get(left.id, ""))
            if bounds:
                lo, hi = bounds
                if not lo <= right.value <= hi:
                    out.append(
                        f"{where}: {kinds[left.id].upper()} ranges from {lo:g} to {hi:g}, so a threshold of {right.value:g} is never crossed."
                    )


def _compares(cond: Condition) -> list[Compare]:
    if isinstance(cond, Compare):
        return [cond]
    if isinstance(cond, AllOf):
        return [c for sub in cond.conditions for c in _compares(sub)]
    return []


def _key(op: Operand) -> str:
    return json.dumps(op.model_dump(mode="json"), sort_keys=True)


def contradictions(spec: StrategySpec) -> list[str]:
    """AND-ed comparisons that can never all hold (e.g. RSI > 70 and RSI < 30)."""
    out: list[str] = []
    groups: list[tuple[str, list[Compare]]] = [
        ("entry", _compares(spec.entry) + [c for f in spec.filters for c in _compares(f)])
    ]
    if spec.exit is not None:
        groups.append(("exit", _compares(spec.exit)))
    if spec.short_entry is not None:
        groups.append(
            (
                "short_entry",
                _compares(spec.short_entry) + [c for f in spec.filters for c in _compares(f)],
            )
        )
    for where, comps in groups:
        lows: dict[str, tuple[float, bool, Compare]] = {}
        highs: dict[str, tuple[float, bool, Compare]] = {}
        pairs: dict[tuple[str, str], set[str]] = {}
        for c in comps:
            left, right = c.left, c.right
            op: str = c.op
            if isinstance(left, ConstOperand) and not isinstance(right, ConstOperand):
                left, right = right, left
                op = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "=="}[op]
            if isinstance(right, ConstOperand) and not isinstance(left, ConstOperand):
                k = _key(left)
                v = right.value
                if op in (">", ">=", "=="):
                    cur = lows.get(k)
                    if cur is None or v > cur[0]:
                        lows[k] = (v, op == ">", c)
                if op in ("<", "<=", "=="):
                    cur = highs.get(k)
                    if cur is None or v < cur[0]:
                        highs[k] = (v, op == "<", c)
            elif not isinstance(right, ConstOperand):
                a, b = _key(left), _key(right)
                sign: str = op
                if a > b:
                    a, b = b, a
                    sign = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "=="}[op]
                pairs.setdefault((a, b), set()).add(sign)
        for k, (lo, lo_strict, lo_c) in lows.items():
            if k in highs:
                hi, hi_strict, hi_c = highs[k]
                if lo > hi or (lo == hi and (lo_strict or hi_strict)):
                    out.append(
                        f"Contradictory {where} rule: '{_describe(lo_c)}' and '{_describe(hi_c)}' can never both be true, so the strategy would never trade. Did you mean OR, or one rule for entry and one for exit?"
                    )
        for signs in pairs.values():
            if ({">", "<"} <= signs) or ({">", "<="} <= signs) or ({">=", "<"} <= signs):
                out.append(
                    f"Contradictory {where} rule: the same two values are required to be both above and below each other."
                )
    return out


def _describe(c: Compare) -> str:
    def op_text(op: Operand) -> str:
        if isinstance(op, ConstOperand):
            return f"{op.value:g}"
        if isinstance(op, IndicatorOperand):
            return op.id + (f".{op.output}" if op.output else "")
        return op.field

    return f"{op_text(c.left)} {c.op} {op_text(c.right)}"
