"""Custom code in the compute step: every symbol (or parameter set) in ONE sandboxed child, and
all of them checked for look-ahead in ONE more."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from bt_testkit import synthetic_frame

import vt_engine
from vt_backtest.worker.compute import ComputeJob, code_signals, engine_compute
from vt_backtest.worker.errors import JobFailed
from vt_contracts import BacktestRequest, CodeStrategy
from vt_sandbox import SandboxError, run_strategy, sandbox_status

CODE = """
def generate_signals(data, params):
    fast = data["close"].rolling(params["fast"]).mean()
    slow = data["close"].rolling(params["slow"]).mean()
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    return entries, exits
"""
SYMBOLS = ["DEMO:A", "DEMO:B", "DEMO:C"]


def _frames() -> dict[str, pd.DataFrame]:
    return {s: synthetic_frame(s, date(2012, 1, 1), date(2016, 12, 31)) for s in SYMBOLS}


def _forks() -> int:
    value = sandbox_status()["zygote_forks"]  # counted by the running zygote
    assert isinstance(value, int)
    return value


def _direct(frame: pd.DataFrame, params: dict[str, Any]) -> tuple[Any, Any, None, None]:
    namespace: dict[str, Any] = {}
    exec(compile(CODE, "strategy", "exec"), namespace)  # trusted test code, as a reference
    entries, exits = namespace["generate_signals"](frame, params)
    return entries.fillna(False).to_numpy(bool), exits.fillna(False).to_numpy(bool), None, None


def test_all_symbols_of_a_code_run_share_one_sandboxed_child_and_one_probe() -> None:
    frames = _frames()
    params = {"fast": 10, "slow": 40}
    code = CodeStrategy(code=CODE, symbols=SYMBOLS, params=params)
    run_strategy(CODE, frames["DEMO:A"], params)  # the zygote is up: fork counts are exact
    before = _forks()
    result = engine_compute(
        ComputeJob(
            request=BacktestRequest(run_id="one-child", code=code),
            data=frames,
            benchmark=None,
            data_sources={s: "demo" for s in SYMBOLS},
            market="us_equity",
        )
    )
    assert _forks() == before + 2  # the symbols' runs, then the look-ahead probe of all of them
    reference = vt_engine.run_code_backtest(
        code,
        frames,
        lambda _s, frame: _direct(frame, params),
        data_sources={s: "demo" for s in SYMBOLS},
    )
    assert result.summary_stats == reference.summary_stats
    assert result.summary_stats.trade_count > 0


def test_a_parameter_sweep_runs_in_one_child() -> None:
    frame = _frames()["DEMO:B"]
    grid = [{"fast": f, "slow": s} for f in (5, 10, 20) for s in (30, 60)]
    run_strategy(CODE, frame, grid[0])
    before = _forks()
    signals = code_signals(CODE, [(frame, p) for p in grid], cpu_seconds=5.0, wall_seconds=15.0)
    assert _forks() == before + 2  # the sweep, then the look-ahead probe of every parameter set
    unprobed = code_signals(
        CODE, [(frame, p) for p in grid], cpu_seconds=5.0, wall_seconds=15.0, lookahead=False
    )
    assert _forks() == before + 3
    for a, b in zip(signals, unprobed, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    assert len(signals) == len(grid)
    for params, (entries, exits, short_entries, short_exits) in zip(grid, signals, strict=True):
        ref_entries, ref_exits, _, _ = _direct(frame, params)
        np.testing.assert_array_equal(entries, ref_entries)
        np.testing.assert_array_equal(exits, ref_exits)
        assert short_entries is None
        assert short_exits is None


def test_a_failing_symbol_fails_the_job_with_a_problem() -> None:
    frames = _frames()
    code = CodeStrategy(code=CODE, symbols=SYMBOLS, params={"fast": 10})  # no "slow"
    with pytest.raises(JobFailed) as info:
        engine_compute(
            ComputeJob(
                request=BacktestRequest(run_id="bad", code=code),
                data=frames,
                benchmark=None,
                data_sources={s: "demo" for s in SYMBOLS},
                market="us_equity",
            )
        )
    assert "call 1 of 3" in str(info.value.problem.detail)


PEEKS_ON_ONE = """
def generate_signals(data, params):
    fast = data["close"].rolling(10).mean()
    slow = data["close"].rolling(40).mean()
    if params["peek"]:
        fast = data["close"].shift(-1).rolling(10).mean().fillna(0)
    return (fast > slow).fillna(False), (fast < slow).fillna(False)
"""


def test_look_ahead_in_one_symbol_refuses_the_run_naming_the_symbol() -> None:
    frames = _frames()
    runs = [(frames[s], {"peek": s == "DEMO:B"}) for s in SYMBOLS]
    run_strategy(CODE, frames["DEMO:A"], {"fast": 10, "slow": 40})
    before = _forks()
    with pytest.raises(SandboxError) as info:
        code_signals(PEEKS_ON_ONE, runs, cpu_seconds=5.0, wall_seconds=15.0, names=SYMBOLS)
    assert _forks() == before + 2
    exc = info.value
    assert exc.code == "look_ahead"
    assert exc.call == 1
    assert exc.message.startswith("DEMO:B: the strategy looks ahead")
    assert exc.bar is not None
    assert exc.bar in frames["DEMO:B"].index
