"""StrategySpec v1: valid specs round-trip, invalid ones fail with messages that say what to fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from vt_contracts import BacktestRequest, CodeStrategy, StrategySpec
from vt_contracts.examples import sma_crossover_spec
from vt_contracts.schemas import MODELS, SCHEMA_DIR, render


def sma_cross(**overrides: Any) -> dict[str, Any]:
    return sma_crossover_spec(**overrides)


def test_minimal_spec_gets_honest_defaults() -> None:
    spec = StrategySpec.model_validate(sma_cross())
    assert spec.execution.fill == "next_open"
    assert spec.costs.commission_pct > 0
    assert spec.costs.slippage_pct > 0
    assert spec.universe.timeframe == "1d"
    assert spec.sizing.kind == "percent_equity"
    assert spec.max_lookback() == 50


def test_round_trip_and_hash_is_stable() -> None:
    spec = StrategySpec.model_validate(sma_cross())
    again = StrategySpec.model_validate_json(spec.model_dump_json())
    assert again == spec
    assert again.spec_hash() == spec.spec_hash()
    changed = StrategySpec.model_validate(sma_cross(name="other"))
    assert changed.spec_hash() != spec.spec_hash()


def test_frozen_and_no_extra_fields() -> None:
    spec = StrategySpec.model_validate(sma_cross())
    with pytest.raises(ValidationError):
        spec.name = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        StrategySpec.model_validate(sma_cross(leverage=10))


def test_rich_condition_tree_and_every_indicator_kind() -> None:
    spec = StrategySpec.model_validate(
        sma_cross(
            indicators=[
                {"kind": "sma", "id": "fast", "window": 20},
                {"kind": "sma", "id": "slow", "window": 50},
                {"kind": "ema", "id": "e", "window": 10},
                {"kind": "wma", "id": "w", "window": 10},
                {"kind": "rsi", "id": "rsi"},
                {"kind": "macd", "id": "macd"},
                {"kind": "bbands", "id": "bb"},
                {"kind": "atr", "id": "atr"},
                {"kind": "adx", "id": "adx"},
                {"kind": "stoch", "id": "st"},
                {"kind": "donchian", "id": "dc"},
                {"kind": "vwap", "id": "vw"},
                {"kind": "roc", "id": "roc", "window": 10},
                {"kind": "realized_vol", "id": "rv"},
                {"kind": "zscore", "id": "z"},
                {"kind": "sma", "id": "vix_ma", "symbol": "^VIX", "window": 10},
            ],
            entry={
                "kind": "all",
                "conditions": [
                    {
                        "kind": "crosses_above",
                        "left": {"kind": "indicator", "id": "fast"},
                        "right": {"kind": "indicator", "id": "slow"},
                    },
                    {
                        "kind": "compare",
                        "left": {"kind": "indicator", "id": "rsi"},
                        "op": "<",
                        "right": {"kind": "const", "value": 70},
                    },
                    {
                        "kind": "compare",
                        "left": {"kind": "indicator", "id": "macd", "output": "hist"},
                        "op": ">",
                        "right": {"kind": "const", "value": 0},
                    },
                    {
                        "kind": "not",
                        "condition": {
                            "kind": "compare",
                            "left": {"kind": "price", "field": "close"},
                            "op": ">",
                            "right": {"kind": "indicator", "id": "bb", "output": "upper"},
                        },
                    },
                    {
                        "kind": "for_n_bars",
                        "n": 3,
                        "condition": {
                            "kind": "compare",
                            "left": {"kind": "price"},
                            "op": ">",
                            "right": {"kind": "price", "shift": 1},
                        },
                    },
                ],
            },
            filters=[
                {
                    "kind": "compare",
                    "left": {"kind": "indicator", "id": "adx", "output": "adx"},
                    "op": ">",
                    "right": {"kind": "const", "value": 20},
                }
            ],
            risk={
                "stop_loss": {"kind": "atr", "multiple": 2},
                "trailing_stop": {"percent": 8},
                "take_profit": [{"gain_pct": 15, "fraction": 0.5}, {"gain_pct": 30}],
                "max_holding_bars": 40,
            },
            sizing={"kind": "volatility_target", "target_vol_pct": 12},
            scale_in=[{"move_pct": -5, "fraction": 0.25}],
        )
    )
    assert len(spec.indicators) == 16
    assert spec.max_lookback() == 50


def test_pairs_spec() -> None:
    spec = StrategySpec.model_validate(
        {
            "name": "pair",
            "universe": {"symbols": ["DEMO:PAIR_A", "DEMO:PAIR_B"]},
            "indicators": [
                {
                    "kind": "spread_zscore",
                    "id": "z",
                    "leg_a": "DEMO:PAIR_A",
                    "leg_b": "DEMO:PAIR_B",
                    "window": 60,
                }
            ],
            "direction": "both",
            "pair": {"leg_a": "DEMO:PAIR_A", "leg_b": "DEMO:PAIR_B"},
            "entry": {
                "kind": "compare",
                "left": {"kind": "indicator", "id": "z"},
                "op": "<",
                "right": {"kind": "const", "value": -2},
            },
            "exit": {
                "kind": "compare",
                "left": {"kind": "indicator", "id": "z"},
                "op": ">",
                "right": {"kind": "const", "value": 0},
            },
            "short_entry": {
                "kind": "compare",
                "left": {"kind": "indicator", "id": "z"},
                "op": ">",
                "right": {"kind": "const", "value": 2},
            },
            "short_exit": {
                "kind": "compare",
                "left": {"kind": "indicator", "id": "z"},
                "op": "<",
                "right": {"kind": "const", "value": 0},
            },
        }
    )
    assert spec.pair is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "entry": {
                    "kind": "compare",
                    "left": {"kind": "indicator", "id": "nope"},
                    "op": ">",
                    "right": {"kind": "const", "value": 1},
                }
            },
            "refers to indicator 'nope'",
        ),
        (
            {
                "exit": {
                    "kind": "compare",
                    "left": {"kind": "indicator", "id": "fast", "output": "upper"},
                    "op": ">",
                    "right": {"kind": "const", "value": 1},
                }
            },
            "has no output 'upper'",
        ),
        (
            {
                "indicators": [
                    {"kind": "sma", "id": "fast", "window": 20},
                    {"kind": "sma", "id": "fast", "window": 50},
                ]
            },
            "must be unique",
        ),
        ({"period": {"start": "2020-01-01", "end": "2019-01-01"}}, "must be before"),
        ({"direction": "both"}, "needs a `short_entry`"),
        ({"universe": {"symbols": ["SPY", "SPY"]}}, "same symbol twice"),
        (
            {"universe": {"symbols": ["SPY", "QQQ"], "weights": {"SPY": 0.8, "QQQ": 0.5}}},
            "sum to more than 1",
        ),
        ({"risk": {"take_profit": [{"gain_pct": 30}, {"gain_pct": 15}]}}, "strictly increasing"),
        ({"universe": {"symbols": ["SPY"], "timeframe": "2d"}}, "Input should be"),
        (
            {"indicators": [{"kind": "ichimoku", "id": "x"}]},
            "does not match any of the expected tags",
        ),
        (
            {
                "indicators": [
                    {"kind": "macd", "id": "fast", "fast": 30, "slow": 20},
                    {"kind": "sma", "id": "slow", "window": 5},
                ]
            },
            "must be smaller than slow",
        ),
    ],
)
def test_invalid_specs_explain_what_to_fix(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StrategySpec.model_validate(sma_cross(**overrides))


def test_negative_shift_is_rejected_no_look_ahead() -> None:
    bad = sma_cross(
        entry={
            "kind": "compare",
            "left": {"kind": "price", "shift": -1},
            "op": ">",
            "right": {"kind": "price"},
        }
    )
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        StrategySpec.model_validate(bad)


def test_backtest_request_needs_exactly_one_source() -> None:
    spec = StrategySpec.model_validate(sma_cross())
    code = CodeStrategy(
        code="def generate_signals(data, params):\n    return data.close > 0, data.close < 0\n",
        symbols=["SPY"],
    )
    assert BacktestRequest(run_id="r", spec=spec).spec == spec
    with pytest.raises(ValidationError, match="exactly one"):
        BacktestRequest(run_id="r", spec=spec, code=code)
    with pytest.raises(ValidationError, match="exactly one"):
        BacktestRequest(run_id="r")


def test_schema_has_descriptions_for_the_llm() -> None:
    schema = StrategySpec.model_json_schema()
    defs = schema["$defs"]
    assert "next_open" in defs["Execution"]["properties"]["fill"]["description"]
    assert defs["Costs"]["properties"]["commission_pct"]["description"]
    assert all(
        "description" in d
        for name, d in defs.items()
        if name in {"SMA", "RSI", "SpreadZScore", "ForNBars"}
    )


def test_committed_schemas_match_the_models() -> None:
    for filename, model in MODELS.items():
        committed = (SCHEMA_DIR / filename).read_text()
        assert committed == render(model), f"{filename} drifted: run `make gen`"
        json.loads(committed)
