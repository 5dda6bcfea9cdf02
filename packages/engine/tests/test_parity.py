"""The native kernel against independent engines: vectorbt (same adapter conventions) and
backtesting.py (SMA crossover, whole-share all-in sizing, percent commission, next-open fills)."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_helpers import ohlcv, sma_cross_spec

from vt_engine import run_backtest
from vt_engine.compiler import compile_frames
from vt_engine.engine import prepare, sim_inputs
from vt_engine.simulator import replay_with_vectorbt, simulate

COSTS = {"commission_pct": 0.1, "commission_fixed": 2.0, "slippage_pct": 0.05}

CASES: dict[str, dict[str, Any]] = {
    "all_in": {},
    "costs": {"costs": COSTS},
    "fill_close": {"costs": COSTS, "execution": {"fill": "close"}},
    "crypto_fractional": {"costs": COSTS, "universe": {"symbols": ["AAA"], "market": "crypto"}},
    "fixed_cash": {"costs": COSTS, "sizing": {"kind": "fixed_cash", "amount": 20_000}},
    "short": {"costs": COSTS, "direction": "short"},
    # stops: exits by stops only (with an exit signal pending at the open, the native kernel
    # fills the signal at the open first; vectorbt lets the stop win the bar)
    "stop_loss": {
        "exit": None,
        "costs": COSTS,
        "risk": {"stop_loss": {"kind": "percent", "percent": 3}},
    },
    "trailing": {"exit": None, "costs": COSTS, "risk": {"trailing_stop": {"percent": 4}}},
    "take_profit_short": {
        "exit": None,
        "direction": "short",
        "risk": {"take_profit": [{"gain_pct": 5}]},
    },
    "sl_and_tp": {
        "exit": None,
        "costs": COSTS,
        "risk": {"take_profit": [{"gain_pct": 6}], "stop_loss": {"kind": "percent", "percent": 3}},
    },
}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_native_equals_vectorbt(case: str, seed: int) -> None:
    df = ohlcv(700, seed=seed, vol=0.025)
    over = CASES[case]
    if over.get("direction") == "short":
        s = sma_cross_spec(5, 20, **{k: v for k, v in over.items() if k != "direction"})
        doc = s.model_dump()
        doc["direction"] = "short"
        doc["entry"], doc["exit"] = (
            doc["exit"] or doc["entry"],
            doc["entry"] if doc["exit"] else None,
        )
        from vt_contracts.strategy import StrategySpec

        s = StrategySpec.model_validate(doc)
    else:
        s = sma_cross_spec(5, 20, **over)
    p = prepare(s, {"AAA": df})
    inp = sim_inputs(p, compile_frames(s, p.frames))
    cfg = dataclasses.replace(p.cfg, risk_on_entry_bar=False)
    native = simulate(inp, cfg)
    vbt = simulate(inp, cfg, backend="vectorbt")
    assert len(native.orders) > 4
    np.testing.assert_allclose(native.equity, vbt.equity, rtol=1e-10, atol=1e-6)
    a = native.orders[["bar", "size", "price", "fees"]].to_numpy()
    b = vbt.orders[["bar", "size", "price", "fees"]].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-10)


def test_vectorbt_replay_general_case() -> None:
    """Staged take-profit, scale-in, max holding and a weighted basket: the native orders,
    booked through vectorbt's Portfolio.from_orders, give the same equity."""
    data = {s: ohlcv(500, seed=40 + i, vol=0.02) for i, s in enumerate(["A", "B", "C"])}
    s = sma_cross_spec(
        5,
        20,
        symbols=list(data),
        universe={"symbols": list(data), "weights": {"A": 0.5, "B": 0.3, "C": 0.2}},
        costs=COSTS,
        risk={
            "stop_loss": {"kind": "percent", "percent": 6},
            "take_profit": [{"gain_pct": 4, "fraction": 0.5}, {"gain_pct": 9, "fraction": 1.0}],
            "max_holding_bars": 25,
        },
        scale_in=[{"move_pct": -2, "fraction": 0.4}],
    )
    p = prepare(s, data)
    inp = sim_inputs(p, compile_frames(s, p.frames))
    sim = simulate(inp, p.cfg)
    reasons = set(sim.orders["reason"])
    assert {3, -2}.issubset(reasons)  # take-profit and scale-in fills happened
    eq, cash = replay_with_vectorbt(inp, p.cfg, sim.orders)
    np.testing.assert_allclose(eq, sim.equity, rtol=1e-10)
    np.testing.assert_allclose(cash, sim.cash, rtol=1e-10, atol=1e-6)


def test_vectorbt_backend_refuses_what_it_cannot_express() -> None:
    from vt_engine.errors import EngineError

    s = sma_cross_spec(
        5, 20, risk={"take_profit": [{"gain_pct": 4, "fraction": 0.5}, {"gain_pct": 9}]}
    )
    p = prepare(s, {"AAA": ohlcv(200)})
    inp = sim_inputs(p, compile_frames(s, p.frames))
    with pytest.raises(EngineError) as err:
        simulate(inp, p.cfg, backend="vectorbt")
    assert err.value.code == "unsupported"


# --------------------------------------------------------------------------------------------
# backtesting.py
# --------------------------------------------------------------------------------------------


def _bt_run(df: pd.DataFrame, fast: int, slow: int, commission: float, cash: float) -> Any:
    from backtesting import Backtest, Strategy

    class SmaCross(Strategy):
        n1 = fast
        n2 = slow

        def init(self) -> None:
            def sma(x: Any, n: int) -> Any:
                return pd.Series(x).rolling(n).mean().to_numpy()

            self.f = self.I(sma, self.data.Close, self.n1)
            self.s = self.I(sma, self.data.Close, self.n2)

        def next(self) -> None:
            f, s = self.f, self.s
            if len(f) < 2:
                return
            up = f[-2] <= s[-2] and f[-1] > s[-1]
            down = f[-2] >= s[-2] and f[-1] < s[-1]
            if not self.position and up:
                self.buy()  # default size: whole units with all available cash
            elif self.position and down:
                self.position.close()  # long-only, no reversal

    bt_df = df.rename(columns=str.capitalize)
    bt_df.index = bt_df.index.tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(
            bt_df,
            SmaCross,
            cash=cash,
            commission=commission,
            trade_on_close=False,
            exclusive_orders=False,
        )
        return bt.run()


@pytest.mark.parametrize(
    ("seed", "fast", "slow", "commission_pct"),
    [(0, 10, 30, 0.1), (1, 5, 20, 0.2), (2, 20, 50, 0.0)],
)
def test_agrees_with_backtesting_py(seed: int, fast: int, slow: int, commission_pct: float) -> None:
    df = ohlcv(1500, seed=seed, vol=0.02)
    cash = 100_000.0
    stats = _bt_run(df, fast, slow, commission_pct / 100, cash)
    spec = sma_cross_spec(
        fast,
        slow,
        costs={"commission_pct": commission_pct, "slippage_pct": 0.0},
        initial_capital=cash,
    )
    res = run_backtest(spec, {"AAA": df})
    theirs = stats["_trades"]
    ours = [t for t in res.trades if not t.is_open]
    assert len(ours) == len(theirs) > 5
    pos = {ts: i for i, ts in enumerate(df.index)}
    for t, (_, row) in zip(ours, theirs.iterrows(), strict=True):
        assert pos[t.entry_time] == row["EntryBar"]
        assert pos[t.exit_time] == row["ExitBar"]
        assert t.size == abs(row["Size"])
        assert t.entry_price == pytest.approx(row["EntryPrice"], rel=1e-12)
        assert t.exit_price == pytest.approx(row["ExitPrice"], rel=1e-12)
        assert t.pnl == pytest.approx(row["PnL"], rel=1e-9, abs=1e-6)
    assert round(res.summary_stats.final_equity, 2) == round(float(stats["Equity Final [$]"]), 2)
    np.testing.assert_allclose(
        np.asarray(res.equity_curve.values, dtype=float),
        stats["_equity_curve"]["Equity"].to_numpy(),
        rtol=1e-12,
    )
