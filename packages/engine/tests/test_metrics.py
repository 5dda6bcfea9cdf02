"""Metrics against hand computations on a tiny equity curve."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from vt_engine import metrics as mx

IDX = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
EQ = np.array([100.0, 110.0, 99.0, 105.0, 120.0, 114.0])
INIT = 100.0


def trades(pnls: list[float], rets: list[float], is_open: list[bool] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {"pnl": pnls, "return_pct": rets, "is_open": is_open or [False] * len(pnls)}
    )


def test_returns_sharpe_sortino_vol_cagr() -> None:
    r = mx.bar_returns(EQ, INIT)
    exp = [0.0, 0.1, 99 / 110 - 1, 105 / 99 - 1, 120 / 105 - 1, 114 / 120 - 1]
    np.testing.assert_allclose(r, exp)
    mean = sum(exp) / 6
    sd = math.sqrt(sum((x - mean) ** 2 for x in exp) / 5)
    assert mx.sharpe(r, 252) == pytest.approx(mean / sd * math.sqrt(252))
    down = math.sqrt(sum(min(x, 0) ** 2 for x in exp) / 6)
    assert mx.sortino(r, 252) == pytest.approx(mean / down * math.sqrt(252))
    assert mx.cagr_pct(114.0, 100.0, 6, 252) == pytest.approx((1.14 ** (252 / 6) - 1) * 100)
    assert mx.sharpe(np.zeros(5), 252) is None
    assert mx.sortino(np.array([0.01, 0.02]), 252) is None


def test_drawdown_stats() -> None:
    dd = mx.drawdown_pct(EQ, INIT)
    np.testing.assert_allclose(
        dd, [0, 0, (99 / 110 - 1) * 100, (105 / 110 - 1) * 100, 0, (114 / 120 - 1) * 100]
    )
    mdd, longest, days, rec = mx.drawdown_stats(EQ, INIT, IDX)
    assert mdd == pytest.approx(10.0)  # 110 -> 99
    assert longest == 2  # bars 2 and 3 under water
    assert days == pytest.approx(3.0)  # from the peak on day 1 to the recovery on day 4
    assert rec == 2  # trough at bar 2, back above 110 at bar 4
    _, _, _, rec2 = mx.drawdown_stats(np.array([100.0, 90.0, 95.0]), 100.0, IDX[:3])
    assert rec2 is None


def test_trade_stats_and_p_value() -> None:
    t = trades([100, -50, 200, -25, 10], [10, -5, 20, -2.5, 1])
    s = mx.trade_stats(t)
    assert s["trade_count"] == 5
    assert s["win_rate_pct"] == pytest.approx(60.0)
    assert s["profit_factor"] == pytest.approx(310 / 75)
    assert s["expectancy"] == pytest.approx(235 / 5)
    assert s["avg_win_pct"] == pytest.approx(31 / 3)
    assert s["avg_loss_pct"] == pytest.approx(-3.75)
    assert s["reward_risk_ratio"] == pytest.approx((31 / 3) / 3.75)
    rets = np.array([10, -5, 20, -2.5, 1])
    m, sd = rets.mean(), rets.std(ddof=1)
    tstat = m / (sd / math.sqrt(5))
    assert s["trade_p_value"] == pytest.approx(1 - sps.t.cdf(tstat, df=4))
    only_wins = mx.trade_stats(trades([1, 2], [1, 2]))
    assert only_wins["profit_factor"] is None
    assert only_wins["avg_loss_pct"] is None
    open_only = mx.trade_stats(trades([5], [5], [True]))
    assert open_only["trade_count"] == 0
    assert open_only["win_rate_pct"] is None


def test_alpha_beta_and_summary_has_no_nan() -> None:
    rb = np.array([0.0, 0.01, -0.02, 0.015, 0.03, -0.01])
    r = 0.001 + 1.5 * rb
    alpha, beta = mx.alpha_beta(r, rb, 252)
    assert beta == pytest.approx(1.5)
    assert alpha == pytest.approx(0.001 * 252 * 100)
    bench = 100 * np.cumprod(1 + rb)
    out = mx.summary(
        index=IDX,
        equity=EQ,
        init_cash=INIT,
        trades=trades([], []),
        exposure=np.zeros(6, bool),
        ppy=252,
        total_fees=0.0,
        benchmark=bench,
    )
    for k, v in out.items():
        if isinstance(v, float):
            assert math.isfinite(v), k
    assert out["benchmark_return_pct"] == pytest.approx((bench[-1] / bench[0] - 1) * 100)
    assert out["calmar_ratio"] == pytest.approx(out["cagr_pct"] / 10.0)
    assert out["profit_factor"] is None
    assert out["trade_count"] == 0
    flat = mx.summary(
        index=IDX,
        equity=np.full(6, 100.0),
        init_cash=INIT,
        trades=trades([], []),
        exposure=np.zeros(6, bool),
        ppy=252,
        total_fees=0.0,
        benchmark=None,
    )
    assert flat["sharpe_ratio"] is None
    assert flat["calmar_ratio"] is None
    assert flat["volatility_annual_pct"] == 0.0
