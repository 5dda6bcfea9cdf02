"""vt_engine.live.model_state: the engine as the live strategy model (ADR 0005).

* positions after every open and close phase agree with the backtest's own orders;
* the open phase sees nothing after the open of bar ``through`` (truncation);
* protective orders carry the engine's levels and quantities (percent stop, ATR stop,
  trailing stop, staged take-profit);
* the close-phase decision names what the engine does at the next open;
* warm-up covers indicators, ATR stops and sizing look-backs.

Data: the offline SAMPLE:AAPL daily history (adjusted)."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vt_contracts.examples import sma_crossover_spec
from vt_contracts.strategy import StrategySpec
from vt_engine import indicators as ind
from vt_engine.live import (
    ModelState,
    history_window,
    model_state,
    target_estimate,
    trim_warmup,
    warmup_bars,
)

SYMBOL = "SAMPLE:AAPL"
START = pd.Timestamp("2005-01-03", tz="UTC")
END = "2005-12-30"
OPEN_REASONS = {"entry", "signal", "reverse", "scale_in", "max_holding"}


@cache
def sample() -> pd.DataFrame:
    from vt_market_data.providers.offline import sample_series

    return sample_series("AAPL", True).bars.to_frame()


def make_spec(**extra: Any) -> StrategySpec:
    extra.setdefault("period", {"start": "2005-01-03", "end": END})
    extra.setdefault("fast", 10)
    extra.setdefault("slow", 30)
    return StrategySpec.model_validate(sma_crossover_spec(SYMBOL, **extra))


def data_for(spec: StrategySpec) -> dict[str, pd.DataFrame]:
    return trim_warmup({SYMBOL: sample()}, spec, START)[0]


def days(data: dict[str, pd.DataFrame]) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(data[SYMBOL].index)
    return idx[(idx >= START) & (idx < pd.Timestamp(END, tz="UTC") + pd.Timedelta(days=1))]


def state(
    spec: StrategySpec, data: dict[str, pd.DataFrame], t: pd.Timestamp, phase: str
) -> ModelState:
    return model_state(
        spec,
        data,
        capital=spec.initial_capital,
        start=START,
        through=t,
        phase=phase,  # type: ignore[arg-type]
    )


def backtest_orders(spec: StrategySpec, data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """run_backtest's own order list (prepare -> compile -> simulate), with timestamps."""
    from vt_engine.compiler import compile_frames
    from vt_engine.engine import prepare, sim_inputs
    from vt_engine.simulator import REASONS, simulate

    p = prepare(spec, data)
    inputs = sim_inputs(p, compile_frames(spec, p.frames))
    o = simulate(inputs, p.cfg).orders
    return pd.DataFrame(
        {
            "bar_at": inputs.index[o["bar"].to_numpy()],
            "size": o["size"].to_numpy(),
            "price": o["price"].to_numpy(),
            "reason": [REASONS[int(r)] for r in o["reason"]],
        }
    )


STOP5 = {"stop_loss": {"kind": "percent", "percent": 5}}
STAGED = {
    "stop_loss": {"kind": "percent", "percent": 6},
    "take_profit": [
        {"gain_pct": 4, "fraction": 0.4},
        {"gain_pct": 8, "fraction": 0.3},
        {"gain_pct": 15, "fraction": 1.0},
    ],
}


@pytest.mark.parametrize("risk", [STOP5, STAGED], ids=["stop", "staged_tp"])
def test_positions_at_each_phase_agree_with_the_backtest_orders(risk: dict[str, Any]) -> None:
    import vt_engine

    spec = make_spec(risk=risk)
    data = data_for(spec)
    orders = backtest_orders(spec, data)
    assert len(orders) >= 6
    slip = spec.costs.slippage_pct / 100.0
    bt = vt_engine.run_backtest(spec, data)
    equity = dict(zip(bt.equity_curve.timestamps, bt.equity_curve.values, strict=True))
    opens = data[SYMBOL]["open"]
    held = 0.0
    for t in days(data):
        at = orders[orders["bar_at"] == t]
        o = float(opens.loc[t])
        gap_px = {o * (1.0 - slip), o * (1.0 + slip)}
        at_open = at[at["reason"].isin(OPEN_REASONS) | at["price"].isin(gap_px)]
        m_open = state(spec, data, t, "open")
        assert m_open.positions[SYMBOL] == pytest.approx(held + at_open["size"].sum(), abs=1e-9), t
        held += float(at["size"].sum())
        m_close = state(spec, data, t, "close")
        assert m_close.positions[SYMBOL] == pytest.approx(held, abs=1e-9), t
        assert m_close.equity == pytest.approx(equity[t.to_pydatetime()], rel=1e-12), t
        assert len(m_close.orders) == int((orders["bar_at"] <= t).sum())
    # the final close-phase order list is the backtest's, order for order
    assert np.allclose(m_close.orders["size"], orders["size"])
    assert np.allclose(m_close.orders["price"], orders["price"])


def test_open_phase_never_uses_anything_after_the_open_of_through() -> None:
    spec = make_spec(risk={**STAGED, "trailing_stop": {"percent": 7}})
    data = data_for(spec)
    orders = backtest_orders(spec, data)
    probe = list(orders["bar_at"].unique()[:6]) + list(days(data)[::40])
    rng = np.random.default_rng(7)
    seen_close = 0
    for t in probe:
        before = state(spec, data, t, "open")
        df = data[SYMBOL].copy()
        later = df.index > t
        at = df.index >= t
        # scramble everything not yet printed at the open of t: the bar's high/low/close/volume
        # and every later bar (keeping valid OHLC)
        noise = rng.uniform(0.5, 1.5, size=at.sum())
        df.loc[later, "open"] = df.loc[later, "open"] * noise[1:]
        df.loc[at, "close"] = df.loc[at, "close"] * noise[::-1]
        df.loc[at, "high"] = df.loc[at, ["open", "close"]].max(axis=1) * 1.03
        df.loc[at, "low"] = df.loc[at, ["open", "close"]].min(axis=1) * 0.97
        df.loc[at, "volume"] = df.loc[at, "volume"] * 3.0
        after = state(spec, {SYMBOL: df}, t, "open")
        assert after.positions == before.positions, t
        assert after.cash == before.cash
        assert after.equity == before.equity
        assert after.protective == before.protective
        pd.testing.assert_frame_equal(after.orders, before.orders)
        # ...whereas the close phase does see the bar (equity of a held position)
        close = state(spec, data, t, "close")
        if close.positions[SYMBOL] != 0:
            assert state(spec, {SYMBOL: df}, t, "close").equity != close.equity
            seen_close += 1
    assert seen_close > 0


def entries(spec: StrategySpec, data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    o = backtest_orders(spec, data)
    return o[o["reason"] == "entry"]


def test_percent_stop_and_staged_take_profit_levels_and_quantities() -> None:
    spec = make_spec(risk=STAGED)
    data = data_for(spec)
    for _, e in entries(spec, data).iterrows():
        t, fill, units = e["bar_at"], float(e["price"]), float(e["size"])
        m = state(spec, data, t, "open")
        stops = [p for p in m.protective if p.kind == "stop"]
        tps = [p for p in m.protective if p.kind == "take_profit"]
        assert [(p.side, p.qty, p.reason) for p in stops] == [("sell", units, "stop_loss")]
        assert stops[0].price == fill - fill * 0.06
        q0, q1 = math.floor(0.4 * units + 1e-9), math.floor(0.3 * units + 1e-9)
        assert [(p.stage, p.qty, p.side) for p in tps] == [
            (0, q0, "sell"),
            (1, q1, "sell"),
            (2, units - q0 - q1, "sell"),
        ]
        assert [p.price for p in tps] == [fill * (1.0 + g) for g in (0.04, 0.08, 0.15)]
    # after a first take-profit stage, the rest: the stop for what is left, later stages only
    o = backtest_orders(spec, data)
    tp = o[o["reason"] == "take_profit"].iloc[0]
    m = state(spec, data, tp["bar_at"], "close")
    left = m.positions[SYMBOL]
    assert left > 0
    assert [p.qty for p in m.protective if p.kind == "stop"] == [left]
    assert sum(p.qty for p in m.protective if p.kind == "take_profit") == left
    assert min(p.stage for p in m.protective if p.kind == "take_profit") >= 1


def test_atr_stop_level_uses_the_atr_of_the_decision_bar() -> None:
    spec = make_spec(risk={"stop_loss": {"kind": "atr", "multiple": 2.5, "window": 14}})
    data = data_for(spec)
    f = data[SYMBOL]
    atr = ind.atr(f["high"], f["low"], f["close"], 14)
    idx = pd.DatetimeIndex(f.index)
    checked = 0
    for _, e in entries(spec, data).iterrows():
        t, fill = e["bar_at"], float(e["price"])
        decision = idx[idx.get_loc(t) - 1]
        (stop,) = [p for p in state(spec, data, t, "open").protective if p.kind == "stop"]
        assert stop.price == fill - 2.5 * float(atr.loc[decision])
        assert stop.reason == "stop_loss"
        checked += 1
    assert checked >= 3


def test_trailing_stop_follows_the_highest_high_since_entry() -> None:
    spec = make_spec(risk={"trailing_stop": {"percent": 7}})
    data = data_for(spec)
    f = data[SYMBOL]
    e = entries(spec, data).iloc[0]
    t0, fill = e["bar_at"], float(e["price"])
    held = [t for t in days(data) if t >= t0][:15]
    for t in held:
        m_open = state(spec, data, t, "open")
        m_close = state(spec, data, t, "close")
        if m_close.positions[SYMBOL] == 0:
            break
        highs_before = f.loc[(f.index >= t0) & (f.index < t), "high"]
        best_open = max([fill, *highs_before.tolist()])
        best_close = max(best_open, float(f.loc[t, "high"]))
        (s_open,) = m_open.protective
        (s_close,) = m_close.protective
        assert (s_open.kind, s_open.reason) == ("stop", "trailing_stop")
        assert s_open.price == best_open * (1.0 - 0.07)  # in force for the rest of bar t
        assert s_close.price == best_close * (1.0 - 0.07)  # in force from the next open


def test_close_phase_decision_names_the_next_open() -> None:
    spec = make_spec(risk=STOP5)
    data = data_for(spec)
    o = backtest_orders(spec, data)
    idx = days(data)
    for _, row in o.iterrows():
        i = idx.get_loc(row["bar_at"])
        if i == 0 or row["reason"] not in ("entry", "signal"):
            continue
        m = state(spec, data, idx[i - 1], "close")
        want = "enter_long" if row["reason"] == "entry" else "exit"
        assert m.signals[SYMBOL] == want, row["bar_at"]
        if want == "exit":
            # a position leaving at the next open keeps its stop, but no take-profit
            assert all(p.kind == "stop" for p in m.protective)
    quiet = state(spec, data, idx[1], "close")
    assert quiet.signals[SYMBOL] in ("flat", "hold", "enter_long")
    assert quiet.spec_hash == spec.spec_hash()
    assert quiet.warmup_bars == warmup_bars(spec)


def test_warmup_covers_indicators_atr_stops_and_sizing() -> None:
    base = make_spec(fast=20, slow=50)
    assert warmup_bars(base) == 52  # SMA(50) + one bar for the crossover + one of margin
    atr = make_spec(
        fast=5, slow=10, risk={"stop_loss": {"kind": "atr", "multiple": 2, "window": 30}}
    )
    assert warmup_bars(atr) >= 5 * 30  # Wilder smoothing settles over several windows
    vol = make_spec(fast=5, slow=10, sizing={"kind": "volatility_target", "lookback": 120})
    assert warmup_bars(vol) >= 121
    ema = StrategySpec.model_validate(
        {
            **sma_crossover_spec(SYMBOL),
            "indicators": [
                {"kind": "ema", "id": "fast", "window": 12},
                {"kind": "ema", "id": "slow", "window": 40},
            ],
        }
    )
    assert warmup_bars(ema) >= 3 * 40
    start = pd.Timestamp("2005-01-03").date()
    assert (start - history_window(base, start)).days >= 52 * 365 / 252


def test_trim_warmup_keeps_exactly_the_bars_needed_and_warns_when_short() -> None:
    spec = make_spec(fast=20, slow=50)
    frames, warm = trim_warmup({SYMBOL: sample()}, spec, START)
    assert warm.used == warm.required == 52
    assert warm.warning is None
    assert int((frames[SYMBOL].index < START).sum()) == 52
    short = sample().loc[sample().index >= pd.Timestamp("2004-12-01", tz="UTC")]
    _, warm = trim_warmup({SYMBOL: short}, spec, START)
    assert warm.used < 52
    assert warm.warning is not None
    assert "52" in warm.warning


def test_target_estimate_at_the_close_is_the_next_open_target_sized_at_the_close() -> None:
    spec = make_spec(risk=STOP5)
    data = data_for(spec)
    f = data[SYMBOL]
    idx = days(data)
    o = backtest_orders(spec, data)
    checked = 0
    for _, row in o[o["reason"].isin(["entry", "signal"])].iterrows():
        i = idx.get_loc(row["bar_at"])
        if i == 0:
            continue
        t = idx[i - 1]
        est = target_estimate(spec, data, capital=spec.initial_capital, start=START, through=t)
        actual = state(spec, data, row["bar_at"], "open").positions[SYMBOL]
        if row["reason"] == "signal":
            assert est[SYMBOL] == 0.0 == actual
        else:
            # the same budget priced at close(t) instead of open(t+1)
            ratio = float(f.loc[row["bar_at"], "open"]) / float(f.loc[t, "close"])
            assert est[SYMBOL] == pytest.approx(actual * ratio, rel=0.01, abs=1.0)
        checked += 1
    assert checked >= 4
