"""Spec compilation: signal semantics, look-ahead freedom of whole strategies, bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_helpers import cross, ohlcv, sma_cross_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vt_contracts.strategy import StrategySpec
from vt_engine import EngineError, compile_spec, run_backtest
from vt_engine import indicators as ind

DF = ohlcv(400, seed=21)


def test_sma_cross_signals_match_indicators() -> None:
    sig = compile_spec(sma_cross_spec(10, 30), {"AAA": DF})["AAA"]
    f, s = ind.sma(DF["close"], 10), ind.sma(DF["close"], 30)
    pd.testing.assert_series_equal(
        sig.entries, ind.crosses_above(f, s), check_names=False, check_freq=False
    )
    pd.testing.assert_series_equal(
        sig.exits, ind.crosses_below(f, s), check_names=False, check_freq=False
    )
    assert not sig.short_entries.any()
    assert not sig.short_exits.any()
    assert sig.entries.dtype == bool
    assert sig.entries.index.equals(DF.index)


def test_filters_gate_entries_only_and_direction_short() -> None:
    flt = {
        "kind": "compare",
        "left": {"kind": "price", "field": "close"},
        "op": ">",
        "right": {"kind": "indicator", "id": "trend"},
    }
    s = sma_cross_spec(
        5,
        20,
        indicators=[
            {"kind": "sma", "id": "fast", "window": 5},
            {"kind": "sma", "id": "slow", "window": 20},
            {"kind": "sma", "id": "trend", "window": 100},
        ],
        filters=[flt],
    )
    sig = compile_spec(s, {"AAA": DF})["AAA"]
    raw = compile_spec(sma_cross_spec(5, 20), {"AAA": DF})["AAA"]
    trend_ok = DF["close"] > ind.sma(DF["close"], 100)
    pd.testing.assert_series_equal(
        sig.entries, raw.entries & trend_ok, check_names=False, check_freq=False
    )
    pd.testing.assert_series_equal(sig.exits, raw.exits, check_names=False, check_freq=False)
    short = compile_spec(sma_cross_spec(5, 20, direction="short"), {"AAA": DF})["AAA"]
    assert not short.entries.any()
    pd.testing.assert_series_equal(
        short.short_entries, raw.entries, check_names=False, check_freq=False
    )


def test_operands_shift_outputs_and_other_symbol() -> None:
    vix = ohlcv(400, seed=99, price=20)
    doc: dict[str, Any] = {
        "name": "multi",
        "universe": {"symbols": ["AAA"]},
        "indicators": [
            {"kind": "macd", "id": "m"},
            {"kind": "sma", "id": "vix_ma", "symbol": "^VIX", "window": 10},
        ],
        "entry": {
            "kind": "all",
            "conditions": [
                {
                    "kind": "compare",
                    "left": {"kind": "indicator", "id": "m", "output": "hist"},
                    "op": ">",
                    "right": {"kind": "const", "value": 0},
                },
                {
                    "kind": "compare",
                    "left": {"kind": "indicator", "id": "vix_ma"},
                    "op": "<",
                    "right": {"kind": "const", "value": 25},
                },
                {
                    "kind": "for_n_bars",
                    "n": 2,
                    "condition": {
                        "kind": "compare",
                        "left": {"kind": "price", "field": "close"},
                        "op": ">",
                        "right": {"kind": "price", "field": "close", "shift": 1},
                    },
                },
            ],
        },
        "exit": {
            "kind": "not",
            "condition": {
                "kind": "compare",
                "left": {"kind": "indicator", "id": "m", "output": "macd", "shift": 1},
                "op": "<",
                "right": {"kind": "indicator", "id": "m", "output": "signal"},
            },
        },
    }
    s = StrategySpec.model_validate(doc)
    sig = compile_spec(s, {"AAA": DF, "^VIX": vix})["AAA"]
    m = ind.macd(DF["close"])
    up = DF["close"] > DF["close"].shift(1)
    exp = (m["hist"] > 0) & (ind.sma(vix["close"], 10) < 25) & ind.for_n_bars(up, 2)
    pd.testing.assert_series_equal(sig.entries, exp, check_names=False, check_freq=False)
    exp_exit = ~(m["macd"].shift(1) < m["signal"])
    pd.testing.assert_series_equal(sig.exits, exp_exit, check_names=False, check_freq=False)
    with pytest.raises(EngineError) as err:
        compile_spec(s, {"AAA": DF})
    assert err.value.code == "missing_symbol"


# --------------------------------------------------------------------------------------------
# look-ahead on whole strategies
# --------------------------------------------------------------------------------------------

PRICE = {"kind": "price", "field": "close"}


def _indicator_defs() -> list[dict[str, Any]]:
    return [
        {"kind": "sma", "id": "a", "window": 7},
        {"kind": "ema", "id": "b", "window": 12},
        {"kind": "rsi", "id": "r", "window": 9},
        {"kind": "bbands", "id": "bb", "window": 15},
        {"kind": "adx", "id": "dx", "window": 8},
        {"kind": "stoch", "id": "st"},
        {"kind": "donchian", "id": "dc", "window": 10},
        {"kind": "atr", "id": "at", "window": 10},
        {"kind": "vwap", "id": "vw", "window": 12},
        {"kind": "zscore", "id": "z", "window": 15},
        {"kind": "roc", "id": "rc", "window": 3},
        {"kind": "realized_vol", "id": "rv", "window": 10},
        {"kind": "wma", "id": "w", "window": 9},
        {"kind": "macd", "id": "mc"},
    ]


OPERANDS = [
    {"kind": "indicator", "id": "a"},
    {"kind": "indicator", "id": "b", "shift": 2},
    {"kind": "indicator", "id": "bb", "output": "upper"},
    {"kind": "indicator", "id": "dc", "output": "lower"},
    {"kind": "indicator", "id": "vw"},
    {"kind": "indicator", "id": "w"},
    PRICE,
    {"kind": "price", "field": "open", "shift": 1},
]
OSC = [
    ({"kind": "indicator", "id": "r"}, [30.0, 50.0, 70.0]),
    ({"kind": "indicator", "id": "dx", "output": "plus_di"}, [20.0, 25.0]),
    ({"kind": "indicator", "id": "st", "output": "d"}, [20.0, 80.0]),
    ({"kind": "indicator", "id": "z"}, [-1.0, 0.0, 1.0]),
    ({"kind": "indicator", "id": "rc"}, [0.0, 1.0]),
    ({"kind": "indicator", "id": "rv"}, [15.0, 25.0]),
    ({"kind": "indicator", "id": "mc", "output": "hist"}, [0.0]),
]


@st.composite
def conditions(draw: Any, depth: int = 0) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["cmp", "osc", "xa", "xb"] + (["all", "any", "not", "n"] if depth < 2 else [])
        )
    )
    if kind == "cmp":
        return {
            "kind": "compare",
            "left": draw(st.sampled_from(OPERANDS)),
            "op": draw(st.sampled_from([">", "<", ">="])),
            "right": draw(st.sampled_from(OPERANDS)),
        }
    if kind == "osc":
        op, vals = draw(st.sampled_from(OSC))
        return {
            "kind": "compare",
            "left": op,
            "op": draw(st.sampled_from([">", "<"])),
            "right": {"kind": "const", "value": draw(st.sampled_from(vals))},
        }
    if kind in ("xa", "xb"):
        return {
            "kind": "crosses_above" if kind == "xa" else "crosses_below",
            "left": draw(st.sampled_from(OPERANDS)),
            "right": draw(st.sampled_from(OPERANDS)),
        }
    if kind in ("all", "any"):
        return {
            "kind": kind,
            "conditions": draw(st.lists(conditions(depth + 1), min_size=1, max_size=3)),
        }
    if kind == "not":
        return {"kind": "not", "condition": draw(conditions(depth + 1))}
    return {
        "kind": "for_n_bars",
        "n": draw(st.integers(1, 4)),
        "condition": draw(conditions(depth + 1)),
    }


@st.composite
def specs(draw: Any) -> StrategySpec:
    direction = draw(st.sampled_from(["long", "short", "both"]))
    doc: dict[str, Any] = {
        "name": "random",
        "universe": {"symbols": ["AAA"]},
        "indicators": _indicator_defs(),
        "direction": direction,
        "entry": draw(conditions()),
        "exit": draw(conditions()),
        "filters": draw(st.lists(conditions(), max_size=1)),
        "risk": draw(
            st.sampled_from(
                [
                    {},
                    {"stop_loss": {"kind": "percent", "percent": 4}},
                    {"trailing_stop": {"percent": 5}, "max_holding_bars": 15},
                    {
                        "stop_loss": {"kind": "atr", "multiple": 2, "window": 10},
                        "take_profit": [{"gain_pct": 3, "fraction": 0.5}, {"gain_pct": 8}],
                    },
                ]
            )
        ),
    }
    if direction == "both":
        doc["short_entry"] = draw(conditions())
        doc["short_exit"] = draw(conditions())
    return StrategySpec.model_validate(doc)


LA_DATA = ohlcv(260, seed=77, vol=0.02)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), cut=st.integers(120, 250))
def test_compiled_strategy_has_no_look_ahead(spec: StrategySpec, cut: int) -> None:
    """Signals, fills and equity up to bar `cut` do not depend on the bars after it."""
    full = compile_spec(spec, {"AAA": LA_DATA})["AAA"]
    past = compile_spec(spec, {"AAA": LA_DATA.iloc[:cut]})["AAA"]
    for name in ("entries", "exits", "short_entries", "short_exits"):
        pd.testing.assert_series_equal(
            getattr(past, name), getattr(full, name).iloc[:cut], check_freq=False
        )
    res_full = run_backtest(spec, {"AAA": LA_DATA})
    res_past = run_backtest(spec, {"AAA": LA_DATA.iloc[:cut]})
    # equity through bar cut-1 is identical (the last bar only marks to market)
    np.testing.assert_allclose(
        res_past.equity_curve.values, res_full.equity_curve.values[:cut], rtol=1e-12
    )
    closed_past = [t for t in res_past.trades if not t.is_open]
    assert closed_past == [t for t in res_full.trades if not t.is_open][: len(closed_past)]


def test_scrambled_future_does_not_change_past_signals() -> None:
    spec = sma_cross_spec(
        5,
        20,
        indicators=[
            {"kind": "ema", "id": "fast", "window": 5},
            {"kind": "sma", "id": "slow", "window": 20},
        ],
    )
    other = DF.copy()
    other.iloc[200:] = other.iloc[200:].to_numpy()[::-1]
    a = compile_spec(spec, {"AAA": DF})["AAA"]
    b = compile_spec(spec, {"AAA": other})["AAA"]
    pd.testing.assert_series_equal(a.entries.iloc[:200], b.entries.iloc[:200], check_freq=False)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


def _code(fn: Any) -> str:
    with pytest.raises(EngineError) as err:
        fn()
    assert err.value.message
    return err.value.code


def test_bad_inputs_raise_engine_errors() -> None:
    spec = sma_cross_spec(10, 30)
    assert _code(lambda: run_backtest(spec, {})) == "empty_data"
    assert _code(lambda: run_backtest(spec, {"AAA": DF.iloc[:0]})) == "empty_data"
    assert _code(lambda: run_backtest(spec, {"BBB": DF})) == "missing_symbol"
    assert _code(lambda: run_backtest(spec, {"AAA": DF.iloc[:25]})) == "insufficient_bars"
    nan_close = DF.copy()
    nan_close["close"] = np.nan
    assert _code(lambda: run_backtest(spec, {"AAA": nan_close})) == "bad_data"
    naive = DF.copy()
    naive.index = naive.index.tz_localize(None)
    assert _code(lambda: run_backtest(spec, {"AAA": naive})) == "bad_data"
    late = sma_cross_spec(10, 30, period={"start": "2030-01-01"})
    assert _code(lambda: run_backtest(late, {"AAA": DF})) == "bad_period"
    early = sma_cross_spec(10, 30, period={"end": "2000-01-01"})
    assert _code(lambda: run_backtest(early, {"AAA": DF})) == "bad_period"
    # an unvalidated spec with a dangling operand reference
    doc = spec.model_dump()
    doc["entry"] = cross("crosses_above", "nope", "slow")
    bad = StrategySpec.model_construct(
        **{
            **spec.__dict__,
            "entry": StrategySpec.model_validate(
                {
                    **spec.model_dump(),
                    "indicators": [
                        *spec.model_dump()["indicators"],
                        {"kind": "sma", "id": "nope", "window": 3},
                    ],
                    "entry": doc["entry"],
                }
            ).entry,
        }
    )
    assert _code(lambda: compile_spec(bad, {"AAA": DF})) == "unknown_indicator"
    assert _code(lambda: run_backtest(bad, {"AAA": DF})) == "unknown_indicator"


def test_start_after_end_unvalidated() -> None:
    from vt_contracts.strategy import Period

    spec = sma_cross_spec(10, 30)
    per = Period.model_construct(
        start=pd.Timestamp("2016-01-01").date(), end=pd.Timestamp("2015-06-01").date()
    )
    bad = StrategySpec.model_construct(**{**spec.__dict__, "period": per})
    with pytest.raises(EngineError) as err:
        run_backtest(bad, {"AAA": DF})
    assert err.value.code == "bad_period"


BASKET = {s: ohlcv(260, seed=s_i, vol=0.02) for s_i, s in enumerate(["X1", "X2", "X3"])}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_basket_wide_compile_equals_per_symbol(spec: StrategySpec) -> None:
    """Baskets are compiled on (bars x symbols) frames at once; each column equals the
    single-symbol compilation."""
    doc = spec.model_dump()
    doc["universe"] = {"symbols": list(BASKET)}
    basket = StrategySpec.model_validate(doc)
    wide = compile_spec(basket, BASKET)
    for sym in BASKET:
        single_doc = {**doc, "universe": {"symbols": [sym]}}
        single = compile_spec(StrategySpec.model_validate(single_doc), {sym: BASKET[sym]})[sym]
        for name in ("entries", "exits", "short_entries", "short_exits"):
            pd.testing.assert_series_equal(
                getattr(wide[sym], name), getattr(single, name), check_freq=False, check_names=False
            )
