"""Server-owned gate profiles: evaluation, what-if labelling, eligibility (issue 17 item 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from engine_helpers import ohlcv, sma_cross_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from vt_contracts.backtest import (
    GateResult,
    GateThresholds,
    Series,
    SummaryStats,
    WalkForwardReport,
)
from vt_contracts.strategy import StrategySpec
from vt_engine import gates, run_backtest

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def stats(**over: Any) -> SummaryStats:
    base: dict[str, Any] = {
        "start": T0,
        "end": T0,
        "bars": 1000,
        "initial_capital": 100_000.0,
        "final_equity": 150_000.0,
        "total_return_pct": 50.0,
        "cagr_pct": 10.0,
        "volatility_annual_pct": 12.0,
        "sharpe_ratio": 1.4,
        "sortino_ratio": 2.0,
        "max_drawdown_pct": 9.0,
        "longest_drawdown_bars": 40,
        "calmar_ratio": 1.1,
        "win_rate_pct": 55.0,
        "profit_factor": 1.9,
        "expectancy": 100.0,
        "avg_win_pct": 2.0,
        "avg_loss_pct": -1.0,
        "reward_risk_ratio": 2.0,
        "exposure_pct": 50.0,
        "trade_count": 45,
        "trade_p_value": 0.01,
        "total_fees": 100.0,
        "benchmark_return_pct": None,
        "alpha_annual_pct": None,
        "beta": None,
        "periods_per_year": 252.0,
    }
    base.update(over)
    return SummaryStats(**base)


def wf(oos: float) -> WalkForwardReport:
    return WalkForwardReport(
        windows=[],
        oos_equity=Series(timestamps=[], values=[]),
        oos_total_return_pct=oos,
        oos_sharpe_ratio=None,
    )


def by_name(results: list[GateResult]) -> dict[str, GateResult]:
    return {r.name: r for r in results}


def test_strict_profile_passes_a_good_strategy() -> None:
    res = gates.evaluate("strict", stats(), wf(3.0), style="trend_following")
    assert gates.passed(res)
    assert {r.profile for r in res} == {"strict"}
    assert set(by_name(res)) == {
        "min_trades",
        "profit_factor",
        "sharpe_ratio",
        "max_drawdown",
        "out_of_sample",
        "p_value",
        "win_rate",
    }


@pytest.mark.parametrize(
    ("over", "oos", "failing"),
    [
        ({"trade_count": 29}, 1.0, "min_trades"),
        ({"profit_factor": 1.5}, 1.0, "profit_factor"),
        ({"profit_factor": None}, 1.0, "profit_factor"),
        ({"sharpe_ratio": 1.0}, 1.0, "sharpe_ratio"),
        ({"max_drawdown_pct": 15.0}, 1.0, "max_drawdown"),
        ({}, 0.0, "out_of_sample"),
        ({}, None, "out_of_sample"),
        ({"trade_p_value": 0.05}, 1.0, "p_value"),
        ({"trade_p_value": None}, 1.0, "p_value"),
        ({"win_rate_pct": 40.0}, 1.0, "win_rate"),
    ],
)
def test_strict_boundaries(over: dict[str, Any], oos: float | None, failing: str) -> None:
    res = gates.evaluate("strict", stats(**over), wf(oos) if oos is not None else None)
    assert [r.name for r in res if not r.passed] == [failing]
    assert not gates.passed(res)
    ev = gates.gate_evaluation("strict", stats(**over), wf(oos) if oos is not None else None)
    assert ev.failing == [failing]
    assert not ev.passed
    assert ev.profile == "strict"
    assert failing in gates.describe_failing(res)


def test_win_rate_depends_on_style() -> None:
    s = stats(win_rate_pct=45.0)
    assert by_name(gates.evaluate("strict", s, wf(1), style="trend_following"))["win_rate"].passed
    mr = by_name(gates.evaluate("strict", s, wf(1), style="mean_reversion"))["win_rate"]
    assert not mr.passed
    assert mr.threshold == 50.0
    unknown = by_name(gates.evaluate("strict", s, wf(1)))["win_rate"]
    assert unknown.threshold == 40.0
    assert "unknown" in unknown.description


def test_relaxed_is_looser_than_strict() -> None:
    s = stats(trade_count=20, sharpe_ratio=0.8, profit_factor=1.3, max_drawdown_pct=20.0)
    assert not gates.passed(gates.evaluate("strict", s, None))
    assert gates.passed(gates.evaluate("relaxed", s, None))


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match="relaxed"):
        gates.evaluate("lenient", stats(), None)


def test_what_if_never_makes_eligible() -> None:
    lax = GateThresholds(
        min_trades=0,
        min_profit_factor=-1,
        min_sharpe=-100,
        max_drawdown_pct=100,
        require_positive_oos=False,
        max_p_value=1.0,
    )
    res = gates.what_if(lax, stats(trade_count=1, sharpe_ratio=-2.0), None)
    assert all(r.passed for r in res)
    assert {r.profile for r in res} == {"what_if"}
    assert not gates.passed(res)
    # mixing a what-if into a passing server evaluation cannot help either
    good = gates.evaluate("strict", stats(), wf(2.0))
    assert gates.passed(good)
    assert not gates.passed([*good, *res])


def test_passed_refuses_empty_and_mixed_profiles() -> None:
    assert not gates.passed([])
    strict = gates.evaluate("strict", stats(), wf(2.0))
    relaxed = gates.evaluate("relaxed", stats(), wf(2.0))
    assert not gates.passed([*strict, *relaxed])
    forged = [r.model_copy(update={"profile": "mine"}) for r in strict]
    assert not gates.passed(forged)


@settings(max_examples=200, deadline=None)
@given(
    trades=st.integers(0, 200),
    pf=st.none() | st.floats(0, 10),
    sharpe=st.none() | st.floats(-5, 5),
    dd=st.floats(0, 100),
    p=st.none() | st.floats(0, 1),
    win=st.none() | st.floats(0, 100),
    oos=st.none() | st.floats(-50, 50),
)
def test_strict_implies_relaxed_and_matches_the_rules(
    trades: int,
    pf: float | None,
    sharpe: float | None,
    dd: float,
    p: float | None,
    win: float | None,
    oos: float | None,
) -> None:
    s = stats(
        trade_count=trades,
        profit_factor=pf,
        sharpe_ratio=sharpe,
        max_drawdown_pct=dd,
        trade_p_value=p,
        win_rate_pct=win,
    )
    w = wf(oos) if oos is not None else None
    strict = gates.passed(gates.evaluate("strict", s, w, style="mean_reversion"))
    expected = (
        trades >= 30
        and pf is not None
        and pf > 1.5
        and sharpe is not None
        and sharpe > 1
        and dd < 15
        and oos is not None
        and oos > 0
        and p is not None
        and p < 0.05
        and win is not None
        and win > 50
    )
    assert strict == expected
    if strict:
        assert gates.passed(gates.evaluate("relaxed", s, w, style="mean_reversion"))


def test_infer_style() -> None:
    assert gates.infer_style(None) is None
    spec = sma_cross_spec(10, 30)
    assert gates.infer_style(spec) == "trend_following"
    doc = spec.model_dump(mode="json")
    doc["indicators"].append({"id": "r", "kind": "rsi", "window": 14})
    assert gates.infer_style(StrategySpec.model_validate(doc)) == "mean_reversion"


def test_backtest_uses_the_server_profile_and_labels_the_what_if() -> None:
    df = ohlcv(600, seed=7)
    spec = sma_cross_spec(10, 30)
    lax = GateThresholds(
        min_trades=0,
        min_profit_factor=-1,
        min_sharpe=-100,
        max_drawdown_pct=100,
        require_positive_oos=False,
        max_p_value=1.0,
    )
    base = run_backtest(spec, {"AAA": df})
    asked = run_backtest(spec, {"AAA": df}, gates=lax)
    assert base.gate_profile == "strict"
    assert base.what_if_gates == []
    assert asked.gates == base.gates
    assert {g.profile for g in asked.gates} == {"strict"}
    assert asked.what_if_gates
    assert all(g.passed for g in asked.what_if_gates)
    assert {g.profile for g in asked.what_if_gates} == {"what_if"}
    assert gates.passed(asked.gates) == gates.passed(base.gates)
    relaxed = run_backtest(spec, {"AAA": df}, gate_profile="relaxed")
    assert relaxed.gate_profile == "relaxed"
    assert {g.profile for g in relaxed.gates} == {"relaxed"}
    expected = gates.evaluate("relaxed", relaxed.summary_stats, None, style=gates.infer_style(spec))
    assert relaxed.gates == expected
