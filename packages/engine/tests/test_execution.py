"""Execution realism: fill prices, costs, units, risk exits, shorts, baskets, pairs, sizing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from engine_helpers import frame_from, ohlcv

from vt_contracts.backtest import BacktestResult
from vt_contracts.strategy import StrategySpec
from vt_engine import indicators as ind
from vt_engine import run_backtest

GT = {"kind": "compare", "left": {"kind": "price", "field": "close"}, "op": ">"}
LT = {"kind": "compare", "left": {"kind": "price", "field": "close"}, "op": "<"}


def const(v: float) -> dict[str, Any]:
    return {"kind": "const", "value": v}


def spec(**doc: Any) -> StrategySpec:
    base: dict[str, Any] = {
        "name": "t",
        "universe": {"symbols": ["AAA"]},
        "entry": {**GT, "right": const(11)},
        "costs": {"commission_pct": 0, "slippage_pct": 0},
    }
    base.update(doc)
    return StrategySpec.model_validate(base)


def final(res: BacktestResult) -> float:
    return res.summary_stats.final_equity


# --------------------------------------------------------------------------------------------
# fill price, costs, units
# --------------------------------------------------------------------------------------------

CLOSE = [10.0, 10.0, 12.0, 13.0, 14.0, 15.0]
OPEN = [10.0, 10.0, 11.0, 12.5, 13.5, 14.5]


def test_next_open_fill_with_slippage_and_commissions() -> None:
    df = frame_from(CLOSE, OPEN)
    s = spec(costs={"commission_pct": 0.2, "commission_fixed": 1.0, "slippage_pct": 0.1})
    res = run_backtest(s, {"AAA": df})
    (tr,) = res.trades
    fill = 12.5 * 1.001  # decided on bar 2 (close 12 > 11), filled at open of bar 3
    units = math.floor((100_000 - 1.0) / 1.002 / fill)
    assert tr.entry_time == df.index[3]
    assert tr.entry_price == pytest.approx(fill)
    assert tr.size == units
    assert tr.fees == pytest.approx(units * fill * 0.002 + 1.0)
    cash = 100_000 - units * fill - (units * fill * 0.002 + 1.0)
    assert final(res) == pytest.approx(cash + units * 15.0)
    assert tr.is_open
    assert tr.exit_reason == "end_of_data"
    assert "next_open" in res.provenance.conventions["fill_price"]
    assert res.equity_curve.values[2] == 100_000  # nothing filled on the decision bar


def test_fill_at_close_is_labelled() -> None:
    df = frame_from(CLOSE, OPEN)
    res = run_backtest(
        spec(execution={"fill": "close"}, costs={"commission_pct": 0, "slippage_pct": 0.1}),
        {"AAA": df},
    )
    (tr,) = res.trades
    assert tr.entry_time == df.index[2]
    assert tr.entry_price == pytest.approx(12.0 * 1.001)
    assert "RESEARCH SHORTCUT" in res.provenance.conventions["fill_price"]


def test_whole_vs_fractional_units() -> None:
    df = frame_from(CLOSE, OPEN)
    whole = run_backtest(spec(initial_capital=1000), {"AAA": df}).trades[0]
    assert whole.size == math.floor(1000 / 12.5)
    crypto = run_backtest(
        spec(initial_capital=1000, universe={"symbols": ["AAA"], "market": "crypto"}), {"AAA": df}
    ).trades[0]
    assert crypto.size == pytest.approx(1000 / 12.5)
    forced = run_backtest(
        spec(initial_capital=1000, execution={"fractional_units": True}), {"AAA": df}
    ).trades[0]
    assert forced.size == pytest.approx(80.0)
    no_frac = run_backtest(
        spec(
            initial_capital=1000,
            universe={"symbols": ["AAA"], "market": "crypto"},
            execution={"fractional_units": False},
        ),
        {"AAA": df},
    ).trades[0]
    assert no_frac.size == 80.0
    assert float(no_frac.size).is_integer()


def test_signal_exit_reason_and_price() -> None:
    close = [10, 10, 12, 13, 9, 8, 8]
    opn = [10, 10, 11, 12.5, 12, 8.5, 8]
    s = spec(exit={**LT, "right": const(10)}, costs={"commission_pct": 0.1, "slippage_pct": 0.1})
    res = run_backtest(s, {"AAA": frame_from(close, opn)})
    (tr,) = res.trades
    assert tr.exit_reason == "signal"
    assert not tr.is_open
    assert tr.exit_price == pytest.approx(8.5 * 0.999)  # decided bar 4, filled open of bar 5
    assert tr.duration_bars == 2
    entry_fee = tr.size * tr.entry_price * 0.001
    exit_fee = tr.size * tr.exit_price * 0.001
    assert tr.fees == pytest.approx(entry_fee + exit_fee)
    assert tr.pnl == pytest.approx(
        tr.size * (tr.exit_price - tr.entry_price) - entry_fee - exit_fee
    )
    assert final(res) == pytest.approx(100_000 + tr.pnl)
    assert res.summary_stats.total_fees == pytest.approx(tr.fees)


# --------------------------------------------------------------------------------------------
# risk exits
# --------------------------------------------------------------------------------------------


def _risk_frame(
    opens: list[float], highs: list[float], lows: list[float], closes: list[float]
) -> Any:
    # bars 0-2 set up the entry (close 12 > 11 on bar 2), entry at open of bar 3 = 100
    o = [10, 10, 11, *opens]
    h = [10, 10, 12, *highs]
    lo = [10, 10, 11, *lows]
    c = [10, 10, 12, *closes]
    return frame_from(c, o, h, lo)


def test_percent_stop_loss_intrabar_and_gap() -> None:
    df = _risk_frame([100, 99, 97], [101, 100, 98], [98, 89, 96], [99, 95, 97])
    res = run_backtest(spec(risk={"stop_loss": {"kind": "percent", "percent": 10}}), {"AAA": df})
    tr = res.trades[0]
    assert tr.exit_reason == "stop_loss"
    assert tr.exit_price == pytest.approx(90.0)
    assert tr.exit_time == df.index[4]
    gap = _risk_frame([100, 85, 97], [101, 86, 98], [98, 84, 96], [99, 85, 97])
    tr = run_backtest(
        spec(risk={"stop_loss": {"kind": "percent", "percent": 10}}), {"AAA": gap}
    ).trades[0]
    assert tr.exit_reason == "stop_loss"
    assert tr.exit_price == pytest.approx(85.0)


def test_atr_stop_uses_atr_at_decision_bar() -> None:
    base = ohlcv(60, seed=5, drift=0.0)
    s = spec(
        entry={**GT, "right": const(0)},  # enter right away
        risk={"stop_loss": {"kind": "atr", "multiple": 1.5, "window": 5}},
        period={"start": str(base.index[10].date())},
    )
    res = run_backtest(s, {"AAA": base})
    tr = res.trades[0]
    i_entry = base.index.get_loc(tr.entry_time)
    atr = ind.atr(base["high"], base["low"], base["close"], 5).iloc[i_entry - 1]
    level = tr.entry_price - 1.5 * atr
    if tr.exit_reason == "stop_loss":
        j = base.index.get_loc(tr.exit_time)
        expected = min(base["open"].iloc[j], level)
        assert tr.exit_price == pytest.approx(expected)
        assert (base["low"].iloc[i_entry:j] > level).all()
    else:  # never hit
        assert (base["low"].iloc[i_entry:] > level).all()


def test_trailing_stop_follows_highs() -> None:
    # entry at 100; highs 105, 120; on bar 6 the trail is 10% below 120 = 108
    df = _risk_frame(
        [100, 104, 115, 112], [105, 120, 116, 113], [99, 103, 110, 100], [104, 118, 112, 101]
    )
    res = run_backtest(spec(risk={"trailing_stop": {"percent": 10}}), {"AAA": df})
    tr = res.trades[0]
    assert tr.exit_reason == "trailing_stop"
    assert tr.exit_price == pytest.approx(108.0)
    assert tr.exit_time == df.index[6]


def test_staged_take_profit() -> None:
    df = _risk_frame(
        [100, 109, 114, 124, 128],
        [110, 116, 125, 131, 129],
        [99, 108, 113, 123, 127],
        [109, 114, 124, 128, 128],
    )
    s = spec(
        initial_capital=100_000,
        risk={
            "take_profit": [{"gain_pct": 15, "fraction": 0.5}, {"gain_pct": 30, "fraction": 1.0}]
        },
    )
    res = run_backtest(s, {"AAA": df})
    t1, t2 = res.trades[:2]
    assert (t1.exit_reason, t2.exit_reason) == ("take_profit", "take_profit")
    assert t1.size == 500
    assert t1.exit_price == pytest.approx(115.0)
    assert t2.size == 500
    assert t2.exit_price == pytest.approx(130.0)
    assert t1.exit_time == df.index[4]
    assert t2.exit_time == df.index[6]
    assert final(res) == pytest.approx(100_000 + 500 * 15 + 500 * 30)
    # the two partial exits are one round trip: one trade in the statistics
    assert t1.round_trip == t2.round_trip == 0
    st = res.summary_stats
    assert st.trade_count == 1
    assert st.win_rate_pct == pytest.approx(100.0)
    assert st.expectancy == pytest.approx(t1.pnl + t2.pnl)
    committed = t1.entry_price * t1.size + t2.entry_price * t2.size
    assert st.expectancy_pct == pytest.approx((t1.pnl + t2.pnl) / committed * 100)


def test_stop_beats_take_profit_in_same_bar() -> None:
    df = _risk_frame([100, 100], [101, 120], [99, 80], [100, 100])
    s = spec(
        risk={"stop_loss": {"kind": "percent", "percent": 5}, "take_profit": [{"gain_pct": 10}]}
    )
    tr = run_backtest(s, {"AAA": df}).trades[0]
    assert tr.exit_reason == "stop_loss"
    assert tr.exit_price == pytest.approx(95.0)


def test_max_holding_bars() -> None:
    df = frame_from([10, 10, 12, 13, 14, 15, 16, 17], [10, 10, 11, 12.5, 13.5, 14.5, 15.5, 16.5])
    s = spec(risk={"max_holding_bars": 3})
    trades = run_backtest(s, {"AAA": df}).trades
    tr = trades[0]
    assert tr.exit_reason == "max_holding"
    assert tr.duration_bars == 3
    assert tr.exit_price == pytest.approx(15.5)  # open of bar 3 + 3
    # the entry condition still holds, so a new position opens on the next decision
    assert len(trades) >= 2


# --------------------------------------------------------------------------------------------
# shorts, both directions
# --------------------------------------------------------------------------------------------


def test_short_entry_and_cover() -> None:
    close = [10, 10, 8, 7, 6, 9, 9.5]
    opn = [10, 10, 9, 7.5, 6.5, 8, 9.2]
    s = spec(
        direction="short",
        entry={**LT, "right": const(9)},
        exit={**GT, "right": const(8.5)},
        costs={"commission_pct": 0.1, "slippage_pct": 0.1},
    )
    res = run_backtest(s, {"AAA": frame_from(close, opn)})
    (tr,) = res.trades
    assert tr.direction == "short"
    assert tr.entry_price == pytest.approx(7.5 * 0.999)  # sold: slippage lowers the price
    assert tr.exit_price == pytest.approx(9.2 * 1.001)  # covered: slippage raises it
    fees = tr.size * (tr.entry_price + tr.exit_price) * 0.001
    assert tr.pnl == pytest.approx(tr.size * (tr.entry_price - tr.exit_price) - fees)
    assert final(res) == pytest.approx(100_000 + tr.pnl)


def test_both_directions_reverse() -> None:
    df = ohlcv(300, seed=9)
    s = StrategySpec.model_validate(
        {
            "name": "both",
            "universe": {"symbols": ["AAA"]},
            "indicators": [
                {"kind": "sma", "id": "f", "window": 5},
                {"kind": "sma", "id": "s", "window": 20},
            ],
            "direction": "both",
            "entry": {
                "kind": "crosses_above",
                "left": {"kind": "indicator", "id": "f"},
                "right": {"kind": "indicator", "id": "s"},
            },
            "short_entry": {
                "kind": "crosses_below",
                "left": {"kind": "indicator", "id": "f"},
                "right": {"kind": "indicator", "id": "s"},
            },
        }
    )
    res = run_backtest(s, {"AAA": df})
    dirs = [t.direction for t in res.trades]
    assert "long" in dirs
    assert "short" in dirs
    closed = [t for t in res.trades if not t.is_open]
    assert all(t.exit_reason == "reverse" for t in closed)
    for a, b in zip(res.trades, res.trades[1:], strict=False):
        assert a.exit_time == b.entry_time
        assert a.direction != b.direction


# --------------------------------------------------------------------------------------------
# baskets, pairs, scale-in, sizing
# --------------------------------------------------------------------------------------------


def test_basket_shared_cash_and_weights() -> None:
    a = frame_from([10, 10, 12, 13, 14], [10, 10, 11, 12.5, 13.5])
    b = frame_from([10, 10, 12, 13, 15], [10, 10, 11, 12.5, 13.5])
    s = spec(
        universe={"symbols": ["A", "B"], "weights": {"A": 0.6, "B": 0.4}},
        entry={**GT, "right": const(11)},
    )
    res = run_backtest(s, {"A": a, "B": b})
    ta = next(t for t in res.trades if t.symbol == "A")
    tb = next(t for t in res.trades if t.symbol == "B")
    assert ta.size == math.floor(60_000 / 12.5)
    assert tb.size == math.floor(40_000 / 12.5)
    cash = 100_000 - ta.size * 12.5 - tb.size * 12.5
    assert cash >= 0
    assert final(res) == pytest.approx(cash + ta.size * 14 + tb.size * 15)
    eq = run_backtest(
        spec(universe={"symbols": ["A", "B"]}, entry={**GT, "right": const(11)}), {"A": a, "B": b}
    )
    sizes = {t.symbol: t.size for t in eq.trades}
    assert sizes == {"A": math.floor(50_000 / 12.5), "B": math.floor(50_000 / 12.5)}


def test_basket_never_overspends() -> None:
    data = {f"S{i}": ohlcv(250, seed=20 + i) for i in range(5)}
    s = StrategySpec.model_validate(
        {
            "name": "basket",
            "universe": {"symbols": list(data)},
            "indicators": [
                {"kind": "sma", "id": "f", "window": 5},
                {"kind": "sma", "id": "s", "window": 15},
            ],
            "entry": {
                "kind": "crosses_above",
                "left": {"kind": "indicator", "id": "f"},
                "right": {"kind": "indicator", "id": "s"},
            },
            "exit": {
                "kind": "crosses_below",
                "left": {"kind": "indicator", "id": "f"},
                "right": {"kind": "indicator", "id": "s"},
            },
            "sizing": {"kind": "percent_equity", "percent": 100},
        }
    )
    from vt_engine.compiler import compile_frames
    from vt_engine.engine import prepare, sim_inputs
    from vt_engine.simulator import replay_with_vectorbt, simulate

    p = prepare(s, data)
    inp = sim_inputs(p, compile_frames(s, p.frames))
    sim = simulate(inp, p.cfg)
    assert (sim.cash >= -1e-6).all()
    assert len({t.symbol for t in run_backtest(s, data).trades}) == 5
    eq, _ = replay_with_vectorbt(inp, p.cfg, sim.orders)
    np.testing.assert_allclose(eq, sim.equity, rtol=1e-9)


def _pair_data() -> dict[str, Any]:
    rng = np.random.default_rng(4)
    n = 300
    common = np.cumsum(rng.normal(0, 0.01, n))
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.8 * noise[i - 1] + rng.normal(0, 0.01)
    a = 50 * np.exp(common + noise)
    b = 30 * np.exp(common)
    return {
        "A": frame_from(a, a * 1.001, start="2020-01-01"),
        "B": frame_from(b, b * 0.999, start="2020-01-01"),
    }


def pair_spec(hedge: float | None) -> StrategySpec:
    z = {"kind": "indicator", "id": "z"}
    return StrategySpec.model_validate(
        {
            "name": "pair",
            "universe": {"symbols": ["A", "B"]},
            "pair": {"leg_a": "A", "leg_b": "B"},
            "indicators": [
                {
                    "kind": "spread_zscore",
                    "id": "z",
                    "leg_a": "A",
                    "leg_b": "B",
                    "window": 30,
                    "hedge_ratio": hedge,
                }
            ],
            "direction": "both",
            "entry": {"kind": "compare", "left": z, "op": "<", "right": const(-1.5)},
            "exit": {"kind": "compare", "left": z, "op": ">", "right": const(0)},
            "short_entry": {"kind": "compare", "left": z, "op": ">", "right": const(1.5)},
            "short_exit": {"kind": "compare", "left": z, "op": "<", "right": const(0)},
            "costs": {"commission_pct": 0, "slippage_pct": 0},
            "execution": {"fractional_units": True},
        }
    )


def test_pairs_dollar_neutral_two_legs() -> None:
    data = _pair_data()
    res = run_backtest(pair_spec(1.0), data)
    assert res.trades
    by_time: dict[Any, list[Any]] = {}
    for t in res.trades:
        by_time.setdefault((t.entry_time, t.exit_time), []).append(t)
    for legs in by_time.values():
        assert {t.symbol for t in legs} == {"A", "B"}
        ta = next(t for t in legs if t.symbol == "A")
        tb = next(t for t in legs if t.symbol == "B")
        assert ta.direction != tb.direction
        assert ta.size * ta.entry_price == pytest.approx(
            tb.size * tb.entry_price
        )  # beta 1: dollar neutral
    assert "pairs" in res.provenance.conventions


def test_pairs_beta_weighted() -> None:
    data = _pair_data()
    res = run_backtest(pair_spec(2.0), data)
    ta = next(t for t in res.trades if t.symbol == "A")
    tb = next(t for t in res.trades if t.symbol == "B" and t.entry_time == ta.entry_time)
    assert tb.size * tb.entry_price == pytest.approx(2.0 * ta.size * ta.entry_price)


def test_scale_in_tranche() -> None:
    # entry at 100 buys half; close falls 5% -> the second half at the next open
    df = _risk_frame([100, 97, 94, 96], [101, 98, 96, 97], [99, 94, 93, 95], [98, 94.5, 95, 96])
    s = spec(scale_in=[{"move_pct": -5, "fraction": 0.5}])
    res = run_backtest(s, {"AAA": df})
    (tr,) = res.trades
    # full size 1000 units at 100; 500 at 100, 500 at the open of bar 6 (94)
    assert tr.size == 1000
    assert tr.entry_price == pytest.approx((500 * 100 + 500 * 94) / 1000)
    assert final(res) == pytest.approx(100_000 + 500 * (96 - 100) + 500 * (96 - 94))


def test_fixed_cash_and_percent_sizing() -> None:
    df = frame_from(CLOSE, OPEN)
    tr = run_backtest(spec(sizing={"kind": "fixed_cash", "amount": 5000}), {"AAA": df}).trades[0]
    assert tr.size == math.floor(5000 / 12.5)
    tr = run_backtest(spec(sizing={"kind": "percent_equity", "percent": 25}), {"AAA": df}).trades[0]
    assert tr.size == math.floor(25_000 / 12.5)


def test_volatility_target_sizing() -> None:
    df = ohlcv(200, seed=12)
    s = spec(
        entry={**GT, "right": const(0)},
        sizing={
            "kind": "volatility_target",
            "target_vol_pct": 10,
            "lookback": 20,
            "max_leverage": 1,
        },
        execution={"fractional_units": True},
        period={"start": str(df.index[30].date())},
    )
    res = run_backtest(s, {"AAA": df})
    tr = res.trades[0]
    i = df.index.get_loc(tr.entry_time)
    vol = ind.realized_vol(df["close"], 20, 252).iloc[i - 1] / 100
    expected_value = 100_000 * min(0.10 / vol, 1.0)
    assert tr.size * tr.entry_price == pytest.approx(expected_value, rel=1e-9)


def test_kelly_uses_fallback_then_kelly() -> None:
    df = ohlcv(400, seed=13)
    s = StrategySpec.model_validate(
        {
            "name": "kelly",
            "universe": {"symbols": ["AAA"]},
            "indicators": [
                {"kind": "sma", "id": "f", "window": 3},
                {"kind": "sma", "id": "s", "window": 8},
            ],
            "entry": {
                "kind": "crosses_above",
                "left": {"kind": "indicator", "id": "f"},
                "right": {"kind": "indicator", "id": "s"},
            },
            "exit": {
                "kind": "crosses_below",
                "left": {"kind": "indicator", "id": "f"},
                "right": {"kind": "indicator", "id": "s"},
            },
            "sizing": {
                "kind": "kelly",
                "fraction": 0.5,
                "max_percent": 100,
                "min_trades": 5,
                "fallback_percent": 10,
            },
            "costs": {"commission_pct": 0, "slippage_pct": 0},
            "execution": {"fractional_units": True},
        }
    )
    res = run_backtest(s, {"AAA": df})
    trades = [t for t in res.trades if not t.is_open]
    assert len(trades) > 8
    eq = dict(zip(res.equity_curve.timestamps, res.equity_curve.values, strict=True))
    idx = list(res.equity_curve.timestamps)
    for t in trades[:5]:
        prev_eq = eq[idx[idx.index(t.entry_time) - 1]]
        assert t.size * t.entry_price == pytest.approx(0.10 * prev_eq, rel=0.05)
    rets = np.array([t.return_pct / 100 for t in trades[:5]])
    w = (rets > 0).mean()
    if 0 < w < 1:
        r = rets[rets > 0].mean() / -rets[rets <= 0].mean()
        k = max(0.0, min(1.0, 0.5 * (w - (1 - w) / r)))
        t6 = trades[5]
        prev_eq = eq[idx[idx.index(t6.entry_time) - 1]]
        assert t6.size * t6.entry_price == pytest.approx(k * prev_eq, rel=0.05, abs=1e-6)


def test_kelly_counts_round_trips_not_partial_exits() -> None:
    """A staged take-profit closes a position in two parts: one round trip for Kelly's
    min_trades and its win rate / payoff inputs."""
    df = ohlcv(400, seed=13)
    cross = {"left": {"kind": "indicator", "id": "f"}, "right": {"kind": "indicator", "id": "s"}}
    s = StrategySpec.model_validate(
        {
            "name": "kelly staged",
            "universe": {"symbols": ["AAA"]},
            "indicators": [
                {"kind": "sma", "id": "f", "window": 3},
                {"kind": "sma", "id": "s", "window": 8},
            ],
            "entry": {"kind": "crosses_above", **cross},
            "exit": {"kind": "crosses_below", **cross},
            "risk": {"take_profit": [{"gain_pct": 0.5, "fraction": 0.5}, {"gain_pct": 60}]},
            "sizing": {
                "kind": "kelly",
                "fraction": 0.5,
                "max_percent": 100,
                "min_trades": 5,
                "fallback_percent": 10,
            },
            "costs": {"commission_pct": 0, "slippage_pct": 0},
            "execution": {"fractional_units": True},
        }
    )
    res = run_backtest(s, {"AAA": df})
    trips: dict[int, list[Any]] = {}
    for t in res.trades:
        trips.setdefault(int(t.round_trip or 0), []).append(t)
    ordered = [trips[k] for k in sorted(trips)]
    assert sum(len(rt) > 1 for rt in ordered[:5]) >= 2  # partial exits early on
    eq = dict(zip(res.equity_curve.timestamps, res.equity_curve.values, strict=True))
    idx = list(res.equity_curve.timestamps)

    def entry_value(rt: list[Any]) -> tuple[float, float]:
        prev_eq = eq[idx[idx.index(rt[0].entry_time) - 1]]
        return sum(t.size for t in rt) * rt[0].entry_price, prev_eq

    for rt in ordered[:5]:  # five round trips on the fallback, however many exits they had
        value, prev_eq = entry_value(rt)
        assert value == pytest.approx(0.10 * prev_eq, rel=0.05)
    rets = np.array(
        [sum(t.pnl for t in rt) / sum(t.size * t.entry_price for t in rt) for rt in ordered[:5]]
    )
    w = (rets > 0).mean()
    if 0 < w < 1:
        payoff = rets[rets > 0].mean() / -rets[rets <= 0].mean()
        kf = min(max(0.5 * (w - (1 - w) / payoff), 0.0), 1.0)
    else:
        kf = 0.5 if w == 1 else 0.0
    value, prev_eq = entry_value(ordered[5])
    assert value == pytest.approx(kf * prev_eq, rel=0.05, abs=1e-6)
