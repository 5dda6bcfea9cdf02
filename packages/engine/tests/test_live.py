"""vt_engine.live on engine fixtures: a long/short pair (two legs, shared cash, reversals)
agrees with the backtest's orders at every open and close phase (long and short spreads); bad calls are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_execution import _pair_data, pair_spec

from vt_engine.compiler import compile_frames
from vt_engine.engine import prepare, sim_inputs
from vt_engine.errors import EngineError
from vt_engine.live import model_state
from vt_engine.simulator import simulate


def test_pair_positions_at_each_phase_agree_with_the_backtest() -> None:
    spec = pair_spec(2.0)
    data = _pair_data()
    p = prepare(spec, data)
    inputs = sim_inputs(p, compile_frames(spec, p.frames))
    sim = simulate(inputs, p.cfg)
    o = sim.orders
    assert len(o) >= 8
    a_entries = o[(o["reason"] == -1) & (o["col"] == 0)]["size"]
    assert (a_entries > 0).any(), "a long spread"
    assert (a_entries < 0).any(), "a short spread"
    idx = inputs.index
    held = np.zeros(2)
    decided = set()
    first = spec.max_lookback()  # model_state needs more bars than the longest look-back
    assert not (o["bar"] < first).any()
    for i, t in enumerate(idx):
        if i < first:
            continue
        at = o[o["bar"] == i]
        m_open = model_state(
            spec, data, capital=spec.initial_capital, start=idx[0], through=t, phase="open"
        )
        # pairs have no stops: every fill of bar t happens at its open
        for j, leg in enumerate(["A", "B"]):
            held[j] += at.loc[at["col"] == j, "size"].sum()
            assert m_open.positions[leg] == pytest.approx(held[j], abs=1e-9)
        m_close = model_state(
            spec, data, capital=spec.initial_capital, start=idx[0], through=t, phase="close"
        )
        assert m_close.positions == m_open.positions
        assert m_close.equity == pytest.approx(sim.equity[i], rel=1e-12)
        assert m_close.protective == []
        if i + 1 < len(idx) and (o["bar"] == i + 1).any():
            decided.add(m_close.signals["A"])
            assert m_close.signals["A"] == m_close.signals["B"]
            assert m_close.signals["A"] in ("enter_long", "enter_short", "exit", "reverse")
    assert {"enter_long", "enter_short", "exit"} <= decided


def test_model_state_refuses_a_bar_it_does_not_have() -> None:
    spec = pair_spec(1.0)
    data = _pair_data()
    idx = data["A"].index
    with pytest.raises(EngineError) as exc:
        model_state(
            spec,
            data,
            capital=1e5,
            start=idx[0],
            through=idx[50] + pd.Timedelta(hours=1),
            phase="close",
        )
    assert exc.value.code == "missing_bar"
    with pytest.raises(EngineError):
        model_state(spec, data, capital=1e5, start=idx[60], through=idx[50], phase="close")
