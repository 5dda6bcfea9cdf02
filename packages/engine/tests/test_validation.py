"""Parameter sweeps, walk-forward optimisation and promotion gates."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import ohlcv, sma_cross_spec

from vt_contracts.backtest import GateThresholds, WalkForwardConfig
from vt_engine import EngineError, run_backtest
from vt_engine.sweep import sma_crossover_grid, sma_pairs, sweep_spec
from vt_engine.validation import apply_params

DF = ohlcv(900, seed=31, vol=0.018)


def test_sma_pairs_grid_size() -> None:
    f, s = sma_pairs(5, 100)
    assert len(f) == 4560
    assert (f < s).all()
    assert f.min() == 5
    assert s.max() == 100


@pytest.mark.parametrize("market", ["us_equity", "crypto"])
def test_fused_grid_equals_run_backtest(market: str) -> None:
    pairs = [(5, 20), (10, 30), (12, 50), (20, 100), (7, 8)]
    costs = {"commission_pct": 0.1, "commission_fixed": 1.5, "slippage_pct": 0.05}
    grid = sma_crossover_grid(
        DF,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        commission=0.001,
        commission_fixed=1.5,
        slippage=0.0005,
        fractional=market == "crypto",
        periods_per_year=252 if market == "us_equity" else 365,
    )
    for row, (f, s) in zip(grid.itertuples(), pairs, strict=True):
        res = run_backtest(
            sma_cross_spec(f, s, costs=costs, universe={"symbols": ["AAA"], "market": market}),
            {"AAA": DF},
        )
        st = res.summary_stats
        assert row.final_equity == pytest.approx(st.final_equity, rel=1e-12)
        assert row.total_return_pct == pytest.approx(st.total_return_pct, rel=1e-10)
        assert row.sharpe_ratio == pytest.approx(st.sharpe_ratio, rel=1e-8)
        assert row.max_drawdown_pct == pytest.approx(st.max_drawdown_pct, rel=1e-10)
        assert row.trade_count == st.trade_count
        if st.profit_factor is not None:
            assert row.profit_factor == pytest.approx(st.profit_factor, rel=1e-9)


def test_sweep_spec_generic() -> None:
    spec = sma_cross_spec(10, 30)
    out = sweep_spec(spec, {"AAA": DF}, {"fast.window": [5, 10], "slow.window": [30, 40]})
    assert len(out) == 4
    row = out[(out["fast.window"] == 10) & (out["slow.window"] == 30)].iloc[0]
    ref = run_backtest(spec, {"AAA": DF}).summary_stats
    assert row["final_equity"] == pytest.approx(ref.final_equity)


def test_apply_params() -> None:
    spec = sma_cross_spec(10, 30)
    s2 = apply_params(spec, {"fast.window": 15.0, "risk.max_holding_bars": 20})
    assert s2.indicators[0].window == 15
    assert isinstance(s2.indicators[0].window, int)
    assert s2.risk.max_holding_bars is None or s2.risk.max_holding_bars == 20
    with pytest.raises(EngineError) as err:
        apply_params(spec, {"nope.window": 3})
    assert err.value.code == "bad_parameter"
    with pytest.raises(EngineError):
        apply_params(spec, {"fast.window": 2.5})


def test_walk_forward_report() -> None:
    spec = sma_cross_spec(10, 30)
    cfg = WalkForwardConfig(
        parameters={"fast.window": [5, 10], "slow.window": [20, 40]},
        in_sample_bars=300,
        out_of_sample_bars=100,
    )
    seen: list[float] = []
    res = run_backtest(spec, {"AAA": DF}, walk_forward=cfg, progress=seen.append)
    wf = res.walk_forward
    assert wf is not None
    assert len(wf.windows) == (900 - 300 - 100) // 100 + 1
    for w in wf.windows:
        assert w.in_sample_end < w.out_of_sample_start
        assert set(w.best_params) == {"fast.window", "slow.window"}
    assert len(wf.oos_equity.values) == 100 * len(wf.windows)
    assert wf.oos_equity.timestamps[0] == wf.windows[0].out_of_sample_start
    chained = np.prod([1 + w.out_of_sample_return_pct / 100 for w in wf.windows])
    assert wf.oos_total_return_pct == pytest.approx((chained - 1) * 100)
    # each window's pick is the in-sample best on the objective
    w0 = wf.windows[0]
    scores = {}
    for f in (5, 10):
        for s in (20, 40):
            sub = sma_cross_spec(
                f,
                s,
                period={
                    "start": str(w0.in_sample_start.date()),
                    "end": str(w0.in_sample_end.date()),
                },
            )
            scores[(f, s)] = run_backtest(sub, {"AAA": DF}).summary_stats.sharpe_ratio or -np.inf
    best = max(scores, key=lambda k: scores[k])
    assert (w0.best_params["fast.window"], w0.best_params["slow.window"]) == best
    assert w0.in_sample_score == pytest.approx(scores[best])
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
    oos_gate = next(g for g in res.gates if g.name == "out_of_sample")
    assert oos_gate.value == pytest.approx(wf.oos_total_return_pct)
    assert oos_gate.passed == (wf.oos_total_return_pct > 0)


def test_walk_forward_too_short() -> None:
    cfg = WalkForwardConfig(
        parameters={"fast.window": [5]}, in_sample_bars=800, out_of_sample_bars=200
    )
    with pytest.raises(EngineError) as err:
        run_backtest(sma_cross_spec(10, 30), {"AAA": DF}, walk_forward=cfg)
    assert err.value.code == "insufficient_bars"


def test_gates_default_and_custom() -> None:
    res = run_backtest(sma_cross_spec(10, 30), {"AAA": DF})
    g = {x.name: x for x in res.gates}
    assert set(g) == {
        "min_trades",
        "profit_factor",
        "sharpe_ratio",
        "max_drawdown",
        "out_of_sample",
        "p_value",
        "win_rate",
    }
    st = res.summary_stats
    assert g["min_trades"].value == st.trade_count
    assert g["min_trades"].passed == (st.trade_count >= 30)
    assert g["max_drawdown"].passed == (st.max_drawdown_pct < 15)
    assert g["sharpe_ratio"].value == st.sharpe_ratio
    assert g["p_value"].value == st.trade_p_value
    oos = g["out_of_sample"]
    assert oos.value is None
    assert oos.passed is False
    assert "No walk-forward ran" in oos.description
    lax = GateThresholds(
        min_trades=1,
        min_profit_factor=0.0,
        min_sharpe=-100,
        max_drawdown_pct=100,
        require_positive_oos=False,
        max_p_value=1.0,
    )
    res2 = run_backtest(sma_cross_spec(10, 30), {"AAA": DF}, gates=lax)
    # request thresholds are a labelled what-if; the server profile still decides `gates`
    g2 = {x.name: x for x in res2.what_if_gates}
    assert g2["min_trades"].passed
    assert g2["max_drawdown"].passed
    assert g2["out_of_sample"].passed
    assert {x.profile for x in res2.what_if_gates} == {"what_if"}
    assert [x.model_dump() for x in res2.gates] == [x.model_dump() for x in res.gates]


def test_walk_forward_boundaries_charge_the_exit_of_open_positions() -> None:
    """Always long: a position is open at every window boundary. The next window starts flat,
    so the position is closed at the window's last close WITH commission and slippage (no free
    liquidation); the last window keeps its open position marked to market like a backtest."""
    from engine_helpers import price_entry_spec

    comm, slip = 0.002, 0.001
    spec = price_entry_spec(
        0.0,
        costs={"commission_pct": comm * 100, "slippage_pct": slip * 100, "commission_fixed": 1.0},
    )
    cfg = WalkForwardConfig(
        parameters={"risk.max_holding_bars": [5000]}, in_sample_bars=200, out_of_sample_bars=100
    )
    res = run_backtest(
        spec.model_copy(update={"risk": spec.risk.model_copy(update={"max_holding_bars": 5000})}),
        {"AAA": DF},
        walk_forward=cfg,
    )
    wf = res.walk_forward
    assert wf is not None
    assert len(wf.windows) >= 3
    closes = DF["close"]
    for w in wf.windows[:-1]:
        assert w.boundary_exit_cost > 0
        # the window's held units, closed at its last close: slippage + commission + fixed fee
        px = float(closes.loc[w.out_of_sample_end])
        units = (w.boundary_exit_cost - 1.0) / (px * slip + px * (1 - slip) * comm)
        assert units == pytest.approx(round(units), abs=1e-6)
        assert units > 0
    assert wf.windows[-1].boundary_exit_cost == 0.0
    # the stitched equity shows the cost on the boundary bar
    eq = np.asarray(wf.oos_equity.values, dtype=float)
    chained = np.prod([1 + w.out_of_sample_return_pct / 100 for w in wf.windows])
    assert wf.oos_total_return_pct == pytest.approx((chained - 1) * 100)
    assert eq[-1] == pytest.approx(spec.initial_capital * chained)
