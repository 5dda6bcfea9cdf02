"""Follow-up edits of the current spec that are not single parameters: filters added or removed,
symbols or the exit removed, the direction flipped, and what an edit did not use."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from vt_strategy_ai.nlp.conditions import (
    Cond,
    Context,
    IndicatorRegistry,
    has_content,
    merge_indicators,
    mirror,
    parse_conditions,
)
from vt_strategy_ai.nlp.coverage import find_trend_filters
from vt_strategy_ai.nlp.segments import ACTION, CONDITION_HINT, segments
from vt_strategy_ai.nlp.text import Text

_MEAN_REVERSION_KINDS = ("rsi", "zscore", "stoch", "bbands", "spread_zscore")


_EDIT_FILLER = re.compile(
    r"\b(?:instead|change|changes|changed|make|set|switch|use|add|remove|drop|increase|decrease|raise|lower|"
    r"tighten|widen|update|replace|modify|adjust|put|move|also|now|try|tweak|allow|only|please|can|could|"
    r"you|it|to|the|a|an|of|and|or|with|from|for|on|in|at|by|stop|loss|instead|rule|rules|position|"
    r"sizing|size|capital|fees?|costs?|commission|slippage|benchmark|period|window|length|lookback|"
    r"symbol|symbols|ticker|strategy|version|shorts?|longs?|long|direction|both|side|sides|threshold|"
    r"thresholds|level|levels|filter|filters|exit|entry|bars?|timeframe|data|chart|trend|mirror|mirrored|"
    r"flip|go|trade|trading|be|is|are|more|less|bit|little|tighter|wider|shorter|longer|faster|slower)\b"
)


def leftover_edit_words(work: str, already: list[str]) -> list[str]:
    """Clauses of an edit that no extractor or rule used, quoted (nothing silently dropped)."""
    out: list[str] = []
    for piece in re.split(r"[,;.!?\n]|\band\b|\bthen\b", work):
        if ACTION.search(piece) and CONDITION_HINT.search(piece):
            continue  # a rule clause: the rule parser reported what it could not read
        rest = _EDIT_FILLER.sub(" ", piece)
        clean = " ".join(piece.split())
        if has_content(rest) and not any(clean in a for a in already):
            out.append(f"I did not understand: '{clean}'.")
    return out


def flip_direction(spec: dict[str, Any], direction: str, warnings: list[str]) -> None:
    """'make it short': mirror the entry/exit rules and trend filters for the other side, and say
    so when that turns a mean-reversion rule around."""
    kinds = {i["id"]: i["kind"] for i in spec.get("indicators", [])}
    entry = spec.get("entry") or {}
    used = set(re.findall(r'"id": "([a-z0-9_]+)"', json.dumps(entry)))
    spec["direction"] = direction
    spec["entry"] = _reflect(entry, kinds)
    if spec.get("exit"):
        spec["exit"] = _reflect(spec["exit"], kinds)
    spec["filters"] = [_reflect(f, kinds) for f in spec.get("filters") or []]
    spec.pop("short_entry", None)
    spec.pop("short_exit", None)
    if any(kinds.get(i) in _MEAN_REVERSION_KINDS for i in used):
        warnings.append(
            f"Switching to {direction} inverted a mean-reversion rule: the strategy now "
            f"{'sells short when the market is stretched up' if direction == 'short' else 'buys when the market is stretched down'}; "
            "oscillator levels were reflected (RSI below 30 became above 70, a z-score below -2 became above 2, "
            "the lower band became the upper band). Check the new levels."
        )
    else:
        warnings.append(
            f"Switched to {direction}: the entry, exit and filters were mirrored for the {direction} side."
        )


def _reflect(cond: Cond, kinds: dict[str, str]) -> Cond:
    """The mirror of a rule for the other side, reflecting oscillator levels and band sides."""
    out = mirror(cond)

    def walk(c: dict[str, Any]) -> None:
        for sub in c.get("conditions", []):
            walk(sub)
        if "condition" in c:
            walk(c["condition"])
        for a, b in (("left", "right"), ("right", "left")):
            op, other = c.get(a), c.get(b)
            if not isinstance(op, dict) or op.get("kind") != "indicator":
                continue
            kind, output = kinds.get(str(op["id"])), op.get("output")
            if kind == "bbands" and output in ("upper", "lower"):
                op["output"] = "lower" if output == "upper" else "upper"
            if isinstance(other, dict) and other.get("kind") == "const":
                v = float(other["value"])
                if kind in ("rsi", "stoch"):
                    other["value"] = 100.0 - v
                elif kind == "bbands" and output == "percent_b":
                    other["value"] = 1.0 - v
                elif kind in ("zscore", "spread_zscore", "roc", "macd"):
                    other["value"] = -v

    walk(out)
    return out


def edit_filters(text: Text, spec: dict[str, Any], notes: list[str]) -> None:
    """'add a 200-day trend filter', 'only trade when ADX is above 25', 'remove the ADX filter'."""
    reg = IndicatorRegistry([copy.deepcopy(i) for i in spec.get("indicators", [])])
    ctx = Context(reg)
    filters: list[Cond] = list(spec.get("filters") or [])
    removed = text.take(
        r"\b(?:remove|drop|delete|no|without|get rid of)\s*(?:the\s*|all\s*(?:the\s*)?|any\s*)?(?:(adx|rsi|trend|ema|sma|moving average|volatility|vol|vix|regime|\d+[\s-]*(?:day|bar|week)s?)[\s-]*)?(?:trend\s*)?filters?\b"
    )
    for m in removed:
        what = m.group(1)
        if what is None:
            filters = []
            notes.append("Removed the filters.")
            continue
        keep = [f for f in filters if not _filter_matches(f, what, spec)]
        if len(keep) != len(filters):
            notes.append(f"Removed the {what} filter.")
        filters = keep
    if spec.get("direction") == "short":
        trend = [mirror(c) for c in find_trend_filters(text, ctx)]
    else:
        trend = find_trend_filters(text, ctx)
    added = list(trend)
    for role, clause in segments(text.work):
        if role == "filter":
            added.extend(parse_conditions(clause, ctx, role="entry").conditions)
            text.work = text.work.replace(clause, " " * len(clause), 1)
    for c in added:
        c.pop("touch", None)
        if c not in filters:
            filters.append(c)
    if added:
        merge_indicators(spec, ctx)
        notes.extend(a for a in ctx.assumptions if a not in notes)
    if filters or spec.get("filters"):
        spec["filters"] = filters


def _filter_matches(f: Cond, what: str, spec: dict[str, Any]) -> bool:
    kinds = {i["id"]: i for i in spec.get("indicators", [])}
    ids = set(re.findall(r'"id": "([a-z0-9_]+)"', json.dumps(f)))
    m = re.match(r"(\d+)", what)
    for ident in ids:
        ind = kinds.get(ident, {})
        kind = str(ind.get("kind", ""))
        if m and ind.get("window") == int(m.group(1)):
            return True
        if what in ("trend", "moving average", "regime") and kind in ("sma", "ema", "wma"):
            return True
        if what in (
            kind,
            "vol" if kind == "realized_vol" else "",
            "volatility" if kind == "realized_vol" else "",
        ):
            return True
        if what == "vix" and ind.get("symbol") == "^VIX":
            return True
    return False


def edit_removals(text: Text, spec: dict[str, Any], notes: list[str]) -> None:
    """'remove the exit', 'drop MSFT' (from a basket)."""
    if text.take(
        r"\b(?:remove|drop|delete|no)\s*(?:the\s*)?exit(?:\s*(?:rule|condition|signal))?\b"
    ):
        spec.pop("exit", None)
        notes.append("Removed the exit rule: positions close through the risk exits only.")
    symbols = list(spec["universe"]["symbols"])
    for m in re.finditer(
        r"\b(?:remove|drop|exclude|without)\s+([a-z0-9^./:-]+)", text.original, re.IGNORECASE
    ):
        sym = m.group(1).upper()
        if sym in symbols and len(symbols) > 1 and not spec.get("pair"):
            symbols.remove(sym)
            notes.append(f"Removed {sym} from the symbols.")
    spec["universe"]["symbols"] = symbols
