"""Bootstrap of trade P&L and the Deflated Sharpe Ratio (issue 17, research rigour)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vt_engine import rigour


def test_deflated_sharpe_matches_the_papers_example() -> None:
    """Bailey & Lopez de Prado (2014), numerical example: 100 trials whose annualised Sharpe
    ratios have variance 1/2, the best at 2.5 annualised over 1250 daily returns with skewness
    -3 and kurtosis 10: SR0 = 0.1132 per day and DSR = 0.9004."""
    sr0 = rigour.expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = rigour.sharpe_probability(2.5 / math.sqrt(250), sr0, 1250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-4)
    assert rigour.expected_max_sharpe(1, 0.5) == 0.0


def test_deflated_sharpe_falls_with_the_number_of_trials() -> None:
    rng = np.random.default_rng(3)
    r = rng.normal(0.0008, 0.01, 1000)
    one = rigour.deflated_sharpe(r, n_trials=1)
    assert one is not None
    assert one.deflated_sharpe == pytest.approx(one.probabilistic_sharpe)
    assert one.skewness == pytest.approx(0.0, abs=0.3)
    assert one.kurtosis == pytest.approx(3.0, abs=0.5)
    assert one.sharpe_annual == pytest.approx(np.mean(r) / np.std(r, ddof=1) * math.sqrt(252))
    many = [rigour.deflated_sharpe(r, n_trials=n) for n in (2, 10, 100, 1000)]
    values = [d.deflated_sharpe for d in many if d is not None]
    assert len(values) == 4
    assert all(a > b for a, b in zip([one.deflated_sharpe, *values], values, strict=False))
    assert rigour.deflated_sharpe(np.zeros(50)) is None
    assert rigour.deflated_sharpe(np.array([0.01, 0.02])) is None


def test_bootstrap_bands_and_drawdown_probability() -> None:
    pnl = np.array([500.0, -300.0, 800.0, -1200.0, 400.0, 600.0, -200.0, 900.0])
    a = rigour.bootstrap_trades(pnl, 10_000.0, paths=2000, seed=1)
    b = rigour.bootstrap_trades(pnl, 10_000.0, paths=2000, seed=1)
    assert a is not None
    assert a == b  # seeded: reproducible
    assert a.trades == 8
    assert a.paths == 2000
    assert len(a.equity_median) == 8
    assert all(
        lo <= m <= hi
        for lo, m, hi in zip(a.equity_low, a.equity_median, a.equity_high, strict=True)
    )
    lo, med, hi = a.final_return_pct
    assert lo < med < hi
    # the bootstrap mean final return is the trades' total, up to sampling noise
    assert med == pytest.approx(pnl.sum() / 10_000 * 100, abs=3.0)
    # observed sequence: peak 11_000 (after +800), trough 9_800 -> 10.9 %
    assert a.observed_max_drawdown_pct == pytest.approx((1 - 9_800 / 11_000) * 100)
    assert 0.0 < a.prob_drawdown_at_least_observed < 1.0
    assert 0.0 < a.prob_loss < 0.5
    winners = rigour.bootstrap_trades(np.array([10.0, 20.0, 30.0]), 1000.0)
    assert winners is not None
    assert winners.prob_loss == 0.0
    assert winners.max_drawdown_pct == (0.0, 0.0, 0.0)
    assert winners.prob_drawdown_at_least_observed == 1.0
    assert rigour.bootstrap_trades(np.array([1.0]), 1000.0) is None
    big = rigour.bootstrap_trades(np.ones(50_000), 1e6, max_cells=1_000_000)
    assert big is not None
    assert big.paths == 100


def test_results_carry_the_robustness_block() -> None:
    from engine_helpers import ohlcv, sma_cross_spec

    from vt_contracts import BacktestResult
    from vt_engine import run_backtest

    res = run_backtest(sma_cross_spec(5, 20), {"AAA": ohlcv(1000, seed=4)})
    rb = res.robustness
    assert rb is not None
    assert rb.bootstrap is not None
    closed = {t.round_trip for t in res.trades if not t.is_open}
    assert rb.bootstrap.trades == len(closed) == res.summary_stats.trade_count
    assert rb.bootstrap.after_trade[-1] == rb.bootstrap.trades
    dsr = rb.deflated_sharpe
    assert dsr is not None
    assert dsr.n_trials == 1
    assert dsr.deflated_sharpe == pytest.approx(dsr.probabilistic_sharpe)
    assert dsr.sharpe_annual == pytest.approx(res.summary_stats.sharpe_ratio)
    # the block survives the JSON round trip
    assert BacktestResult.model_validate_json(res.model_dump_json()).robustness == rb


def test_redeflate_equals_a_fresh_computation() -> None:
    rng = np.random.default_rng(5)
    r = rng.normal(0.0006, 0.012, 800)
    one = rigour.robustness(pd.DataFrame(), r, 100_000.0, 252).deflated_sharpe
    assert one is not None
    again = rigour.redeflate(one, 50, 252)
    fresh = rigour.deflated_sharpe(r, n_trials=50)
    assert fresh is not None
    assert again.n_trials == 50
    assert again.deflated_sharpe == pytest.approx(fresh.deflated_sharpe, rel=1e-9)
    assert again.expected_max_sharpe_annual == pytest.approx(fresh.expected_max_sharpe_annual)
    assert again.probabilistic_sharpe == one.probabilistic_sharpe
