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


def test_partial_exits_are_one_round_trip() -> None:
    """Three exit rows of one long entry (staged take-profit, then a stop) and one other
    trade: two round trips; a round trip wins or loses by its summed P&L."""
    t = pd.DataFrame(
        {
            "col": [0, 0, 0, 0],
            "direction": [1, 1, 1, 1],
            "entry_bar": [3, 3, 3, 20],
            "entry_price": [100.0, 100.0, 100.0, 50.0],
            "size": [50.0, 25.0, 25.0, 100.0],
            "pnl": [500.0, 400.0, -300.0, -200.0],
            "return_pct": [10.0, 16.0, -12.0, -4.0],
            "is_open": [False, False, False, False],
        }
    )
    rt = mx.round_trips(t)
    assert len(rt) == 2
    assert rt["exits"].tolist() == [3, 1]
    np.testing.assert_allclose(rt["pnl"], [600.0, -200.0])
    np.testing.assert_allclose(rt["return_pct"], [600.0 / 10_000 * 100, -4.0])
    s = mx.trade_stats(t)
    assert s["trade_count"] == 2
    assert s["win_rate_pct"] == pytest.approx(50.0)
    assert s["profit_factor"] == pytest.approx(3.0)
    assert s["expectancy"] == pytest.approx(200.0)
    assert mx.round_trip_ids(t).tolist() == [0, 0, 0, 1]
    # a round trip with an exit still open at the end is open
    t.loc[2, "is_open"] = True
    assert mx.trade_stats(t)["trade_count"] == 1


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
    # six days: no annualised figures, and a reason
    assert out["cagr_pct"] is None
    assert out["calmar_ratio"] is None
    assert "less than a year" in out["cagr_null_reason"]
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


def test_cagr_and_calmar_use_calendar_time() -> None:
    """Two calendar years of business days: CAGR from the dates, not from bars / 252; dropping
    half of the bars (a basket aligned on common timestamps) changes nothing."""
    idx = pd.bdate_range("2020-01-01", "2021-12-31", tz="UTC")
    eq = np.linspace(100.0, 121.0, len(idx))
    eq[len(idx) // 2] = 90.0  # a drawdown
    years = (idx[-1] - idx[0] + pd.Timedelta(days=1)) / pd.Timedelta(days=365.25)
    kw = {"init_cash": 100.0, "ppy": 252, "total_fees": 0.0, "benchmark": None}

    def run(sel: np.ndarray) -> dict[str, object]:
        return mx.summary(
            index=idx[sel],
            equity=eq[sel],
            trades=trades([], []),
            exposure=np.zeros(int(sel.sum()), bool),
            **kw,  # type: ignore[arg-type]
        )

    full = run(np.ones(len(idx), bool))
    expected = (1.21 ** (1 / years) - 1) * 100
    assert full["cagr_pct"] == pytest.approx(expected, rel=1e-9)
    assert full["cagr_null_reason"] is None
    assert full["calmar_ratio"] == pytest.approx(expected / full["max_drawdown_pct"])  # type: ignore[operator]
    sparse = np.zeros(len(idx), bool)
    sparse[::2] = True
    sparse[-1] = True
    half = run(sparse)
    assert half["bars"] < len(idx) * 0.6
    assert half["cagr_pct"] == pytest.approx(expected, rel=2e-3)
    # a bar count would have called the sparse run a one-year run and doubled the rate
    assert mx.cagr_pct(121.0, 100.0, int(sparse.sum()), 252) > 1.8 * expected  # type: ignore[operator]


def test_a_calendar_year_of_daily_bars_is_a_year() -> None:
    idx = pd.bdate_range("2021-01-04", "2021-12-31", tz="UTC")
    cagr, reason = mx.annualised_return(110.0, 100.0, pd.DatetimeIndex(idx))
    assert reason is None
    assert cagr == pytest.approx(10.0, rel=0.01)
    short = pd.DatetimeIndex(idx[:200])
    assert mx.annualised_return(110.0, 100.0, short)[0] is None
