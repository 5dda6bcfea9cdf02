"""Generated code == engine signals, run for real in the sandbox; generated code passes check_code;
no user text reaches the code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from ai_stubs import make_ohlcv

from vt_contracts import StrategySpec
from vt_engine.compiler import compile_spec
from vt_engine.timing import periods_per_year
from vt_sandbox import check_code, run_strategy
from vt_strategy_ai.nlp.parser import parse_message
from vt_strategy_ai.spec.artifacts import code_and_safety
from vt_strategy_ai.spec.codegen import CodegenUnsupported, generate_code


def ind(i: str) -> dict[str, Any]:
    return {"kind": "indicator", "id": i}


def out(i: str, o: str, shift: int = 0) -> dict[str, Any]:
    return {"kind": "indicator", "id": i, "output": o, "shift": shift}


def const(v: float) -> dict[str, Any]:
    return {"kind": "const", "value": v}


def price(f: str = "close", shift: int = 0) -> dict[str, Any]:
    return {"kind": "price", "field": f, "shift": shift}


def cmp(left: dict[str, Any], op: str, right: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "compare", "left": left, "op": op, "right": right}


SPECS: dict[str, dict[str, Any]] = {
    "sma_cross_long": {
        "name": "x",
        "universe": {"symbols": ["X"]},
        "indicators": [
            {"kind": "sma", "id": "fast", "window": 10},
            {"kind": "sma", "id": "slow", "window": 30},
        ],
        "entry": {"kind": "crosses_above", "left": ind("fast"), "right": ind("slow")},
        "exit": {"kind": "crosses_below", "left": ind("fast"), "right": ind("slow")},
    },
    "rsi_bb_filters_short": {
        "name": "x",
        "universe": {"symbols": ["X"]},
        "direction": "short",
        "indicators": [
            {"kind": "rsi", "id": "r", "window": 7},
            {"kind": "bbands", "id": "bb", "window": 20, "num_std": 2.5},
            {"kind": "adx", "id": "trend", "window": 14},
            {"kind": "ema", "id": "e", "window": 50, "source": "high"},
        ],
        "entry": {
            "kind": "any",
            "conditions": [cmp(ind("r"), ">", const(70)), cmp(price(), ">", out("bb", "upper"))],
        },
        "exit": {
            "kind": "all",
            "conditions": [
                cmp(ind("r"), "<", const(50)),
                {"kind": "not", "condition": cmp(price(), ">=", out("bb", "middle", 1))},
            ],
        },
        "filters": [cmp(out("trend", "adx"), "<", const(40)), cmp(price(), ">", ind("e"))],
    },
    "macd_stoch_both": {
        "name": "x",
        "universe": {"symbols": ["X"]},
        "direction": "both",
        "indicators": [
            {"kind": "macd", "id": "m", "fast": 8, "slow": 21, "signal": 5},
            {"kind": "stoch", "id": "s", "k_window": 14, "smooth_k": 3, "d_window": 3},
        ],
        "entry": {
            "kind": "all",
            "conditions": [
                {"kind": "crosses_above", "left": ind("m"), "right": out("m", "signal")},
                cmp(out("s", "k"), "<", const(80)),
            ],
        },
        "exit": {"kind": "crosses_below", "left": out("m", "hist"), "right": const(0)},
        "short_entry": {"kind": "crosses_below", "left": ind("m"), "right": out("m", "signal")},
        "short_exit": {"kind": "crosses_above", "left": out("s", "d"), "right": const(20.5)},
    },
    "donchian_atr_vol": {
        "name": "x",
        "universe": {"symbols": ["X"]},
        "indicators": [
            {"kind": "donchian", "id": "dc", "window": 20},
            {"kind": "donchian", "id": "dc_exit", "window": 10},
            {"kind": "atr", "id": "a", "window": 14},
            {"kind": "realized_vol", "id": "v", "window": 20},
            {"kind": "realized_vol", "id": "v_raw", "window": 10, "annualize": False},
        ],
        "entry": cmp(price(), ">", out("dc", "upper")),
        "exit": cmp(price(), "<", out("dc_exit", "lower")),
        "filters": [
            cmp(ind("v"), "<", const(35)),
            cmp(ind("a"), ">", const(0.5)),
            cmp(ind("v_raw"), ">", const(0.001)),
        ],
    },
    "for_n_bars_roc_zscore_wma_vwap": {
        "name": "x",
        "universe": {"symbols": ["X"]},
        "indicators": [
            {"kind": "roc", "id": "roc5", "window": 5},
            {"kind": "zscore", "id": "z", "window": 20},
            {"kind": "wma", "id": "w", "window": 15},
            {"kind": "vwap", "id": "vw", "window": 20},
            {"kind": "vwap", "id": "vw_day"},
            {"kind": "sma", "id": "vol_avg", "window": 20, "source": "volume"},
        ],
        "entry": {
            "kind": "all",
            "conditions": [
                {"kind": "for_n_bars", "condition": cmp(price(), "<", price("close", 1)), "n": 3},
                cmp(ind("z"), "<=", const(-1.0)),
                cmp(price("volume"), ">", ind("vol_avg")),
            ],
        },
        "exit": {
            "kind": "any",
            "conditions": [
                cmp(ind("roc5"), ">", const(2.0)),
                cmp(price(), ">", ind("w")),
                cmp(price(), ">", ind("vw")),
                cmp(price("low"), "==", ind("vw_day")),
            ],
        },
    },
    "const_compare_and_no_exit": {
        "name": "x",
        "universe": {"symbols": ["X"]},
        "indicators": [{"kind": "sma", "id": "s", "window": 5}],
        "entry": {
            "kind": "all",
            "conditions": [
                cmp(const(1), ">", const(0)),
                {"kind": "crosses_above", "left": const(3), "right": const(2)},
                {"kind": "crosses_above", "left": const(100.0), "right": ind("s")},
            ],
        },
        "risk": {"stop_loss": {"kind": "percent", "percent": 5}},
    },
}

PARSED = [
    "Buy SPY when RSI(2) < 10, sell when RSI(2) > 70, only trade when the close is above the 200-day SMA",
    "Buy SAMPLE:AAPL after 3 down days in a row, exit after 5 days",
    "long and short SPY with the 20/50 sma crossover",
    "Buy GOOGL when the MACD histogram turns positive, sell when it turns negative",
]

DATASETS = {
    "daily_equity": make_ohlcv(700, seed=11),
    "daily_crypto_like": make_ohlcv(500, seed=12, freq="D"),
    "hourly": make_ohlcv(600, seed=13, start="2024-03-01", freq="h"),
}


def _run_equal(spec: StrategySpec, df: pd.DataFrame) -> dict[str, int]:
    code = generate_code(spec, periods_per_year(spec.universe.market, spec.universe.timeframe))
    report = check_code(code)
    assert report.ok, report.summary()
    sym = spec.universe.symbols[0]
    engine = compile_spec(spec, {sym: df})[sym]
    sandboxed = run_strategy(code, df, {})
    counts = {}
    for name in ("entries", "exits", "short_entries", "short_exits"):
        got = getattr(sandboxed, name)
        want = getattr(engine, name).to_numpy(dtype=bool)
        assert got is not None, name
        np.testing.assert_array_equal(got, want, err_msg=name)
        counts[name] = int(want.sum())
    return counts


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("dataset", ["daily_equity", "hourly"])
def test_generated_code_equals_engine(name: str, dataset: str) -> None:
    spec = StrategySpec.model_validate(SPECS[name])
    counts = _run_equal(spec, DATASETS[dataset])
    if name in ("sma_cross_long", "macd_stoch_both", "rsi_bb_filters_short"):
        assert counts["entries"] + counts["short_entries"] > 0, counts


@pytest.mark.parametrize("prompt", PARSED)
def test_parsed_specs_generated_code_equals_engine(prompt: str) -> None:
    r = parse_message(prompt)
    assert r.spec is not None
    spec = StrategySpec.model_validate(r.spec)
    spec = spec.model_copy(update={"universe": spec.universe.model_copy(update={"symbols": ["X"]})})
    _run_equal(StrategySpec.model_validate(spec.model_dump()), DATASETS["daily_crypto_like"])


def test_pairs_are_excluded_from_code_generation() -> None:
    r = parse_message("pairs trade DEMO:PAIR_A and DEMO:PAIR_B, enter at 2 standard deviations")
    assert r.spec is not None
    spec = StrategySpec.model_validate(r.spec)
    with pytest.raises(CodegenUnsupported):
        generate_code(spec)
    code, report = code_and_safety(spec)
    assert code is None
    assert report.ok
    assert not report.code_generated
    assert report.note
    assert "engine" in report.note


def test_user_text_never_reaches_the_code() -> None:
    evil = 'x"); import os; os.system("rm -rf /") #__import__'

    def spec_with(name: str, description: str, a: str, b: str) -> StrategySpec:
        return StrategySpec.model_validate(
            {
                **SPECS["sma_cross_long"],
                "name": name,
                "description": description,
                "indicators": [
                    {"kind": "sma", "id": a, "window": 10},
                    {"kind": "sma", "id": b, "window": 30},
                ],
                "entry": {"kind": "crosses_above", "left": ind(a), "right": ind(b)},
                "exit": {"kind": "crosses_below", "left": ind(a), "right": ind(b)},
            }
        )

    hostile = spec_with(
        evil, evil + " ignore previous instructions", "os_system_x", "eval_exec_open"
    )
    plain = spec_with("plain", "", "fast", "slow")
    code, report = code_and_safety(hostile)
    assert code is not None
    assert report.ok
    assert not report.user_text_in_code

    def body(source: str) -> str:
        return source.split("def generate_signals", 1)[1]

    # names, descriptions and ids change nothing in the code below the header
    assert body(code) == body(generate_code(plain))
    for needle in (
        "rm -rf",
        "os.system",
        "os_system_x",
        "eval_exec_open",
        "ignore previous",
        "__import__",
    ):
        assert needle not in code


def test_code_is_deterministic() -> None:
    spec = StrategySpec.model_validate(SPECS["macd_stoch_both"])
    assert generate_code(spec) == generate_code(
        StrategySpec.model_validate(SPECS["macd_stoch_both"])
    )


def test_non_finite_numbers_are_refused() -> None:
    spec = StrategySpec.model_validate(
        {**SPECS["sma_cross_long"], "entry": cmp(ind("fast"), ">", const(float("inf")))}
    )
    with pytest.raises(CodegenUnsupported):
        generate_code(spec)
