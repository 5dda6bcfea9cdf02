"""The offline parser against a corpus of plain-language prompts with expected spec features."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from vt_strategy_ai.nlp.parser import parse_message
from vt_strategy_ai.spec.checks import check_spec

CORPUS = json.loads((Path(__file__).parent / "data" / "prompt_corpus.json").read_text())
TODAY = date(2026, 11, 21)
FLOOR = 0.90


def _get(d: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(d, list):
            idx = int(part)
            if idx >= len(d):
                return "<missing>"
            d = d[idx]
        elif isinstance(d, dict):
            d = d.get(part)
        else:
            return "<missing>"
    return d


def evaluate(case: dict[str, Any]) -> list[str]:
    r = parse_message(case["prompt"], today=TODAY)
    spec: dict[str, Any] | None = None
    warnings = list(r.warnings)
    if r.spec is not None:
        checked = check_spec(r.spec)
        if checked.spec is None:
            return [f"invalid spec: {checked.errors}"]
        spec = checked.spec.model_dump(mode="json")
        warnings += checked.warnings
    fails = []
    for key, want in case["expect"].items():
        if key == "intent":
            got: Any = r.intent
        elif key == "clarifies":
            got = bool(r.clarification)
        elif key == "warns":
            got = want if any(want in w.lower() for w in warnings) else warnings
        elif key == "indicator_kinds":
            kinds = {i["kind"] for i in (spec or {}).get("indicators", [])}
            got = want if set(want) <= kinds else sorted(kinds)
        else:
            got = _get(spec, key) if spec is not None else None
        if got != want:
            fails.append(f"{key}: expected {want!r}, got {got!r}")
    return fails


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


def test_corpus_share_parsed_correctly() -> None:
    results = {case["prompt"]: evaluate(case) for case in CORPUS}
    correct = sum(1 for fails in results.values() if not fails)
    share = correct / len(CORPUS)
    print(f"\noffline parser corpus: {correct}/{len(CORPUS)} correct ({share:.1%})")
    for prompt, fails in results.items():
        if fails:
            print(f"  MISS {prompt[:70]!r}: {fails}")
    assert share >= FLOOR


@pytest.mark.parametrize("case", CORPUS[:12], ids=lambda c: c["prompt"][:40])
def test_first_cases_individually(case: dict[str, Any]) -> None:
    assert evaluate(case) == []


def test_parser_never_invents_a_strategy() -> None:
    for text in ("make me rich", "I like tech stocks", "hello", "SPY"):
        r = parse_message(text, today=TODAY)
        assert r.spec is None
        assert r.clarification
        assert r.clarification.count("?") == 1


def test_unknown_indicator_lists_supported_ones() -> None:
    r = parse_message("use the Ichimoku cloud on SPY", today=TODAY)
    assert r.spec is None
    assert r.clarification is not None
    assert "Ichimoku" in r.clarification
    assert "rsi" in r.clarification
    assert "bbands" in r.clarification


def test_unsupported_timeframe_is_warned() -> None:
    r = parse_message("buy SPY on 2h bars when RSI(14) < 30, sell when RSI > 70", today=TODAY)
    assert r.spec is not None
    assert any("not supported" in w for w in r.warnings)


def test_contradiction_is_warned() -> None:
    r = parse_message("buy aapl when rsi < 30 and rsi > 70", today=TODAY)
    assert r.spec is not None
    checked = check_spec(r.spec)
    assert any("Contradictory" in w for w in checked.warnings)


def test_no_exit_gets_a_default_stop_and_says_so() -> None:
    r = parse_message("buy SPY when RSI(14) is below 30", today=TODAY)
    assert r.spec is not None
    checked = check_spec(r.spec)
    assert checked.spec is not None
    assert checked.spec.risk.stop_loss is not None
    assert any("protective 10% stop" in w for w in checked.warnings)


@pytest.mark.parametrize(
    ("edit", "path", "want"),
    [
        ("make the stop 3%", "risk.stop_loss.percent", 3.0),
        ("use EMA instead", "indicators.0.kind", "ema"),
        ("change to 10/30", "indicators.1.window", 30),
        ("add a take profit of 10%", "risk.take_profit.0.gain_pct", 10.0),
        ("switch to hourly", "universe.timeframe", "1h"),
        ("trade QQQ instead", "universe.symbols", ["QQQ"]),
        ("since 2018", "period.start", "2018-01-01"),
        ("add a 5% trailing stop", "risk.trailing_stop.percent", 5.0),
        ("set capital to $25k", "initial_capital", 25000.0),
        ("remove the stop", "risk.stop_loss", None),
        ("allow shorts", "direction", "both"),
        ("add QQQ", "universe.symbols", ["SPY", "QQQ"]),
        ("use a 2x ATR stop instead", "risk.stop_loss.multiple", 2.0),
        ("no fees", "costs.commission_pct", 0.0),
    ],
)
def test_edits_of_the_current_spec(edit: str, path: str, want: Any) -> None:
    base = parse_message(
        "Buy SPY when the 50-day SMA crosses above the 200-day SMA, sell on the cross back below, 5% stop",
        today=TODAY,
    )
    assert base.spec is not None
    r = parse_message(edit, base.spec, today=TODAY)
    assert r.intent == "modify"
    assert r.spec is not None
    checked = check_spec(r.spec)
    assert checked.spec is not None, checked.errors
    assert _get(checked.spec.model_dump(mode="json"), path) == want
