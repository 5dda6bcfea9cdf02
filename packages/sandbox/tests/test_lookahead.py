"""Look-ahead probe: a strategy is re-run on prefixes of the data (one extra sandboxed child,
forked from the zygote like any run, for one run or a whole batch); signals that change once
the future is cut off are refused, naming the first such bar."""

from __future__ import annotations

import os

import pytest

from vt_sandbox import (
    SandboxError,
    probe_lookahead,
    probe_lookahead_batch,
    run_strategy,
    run_strategy_batch,
    sandbox_status,
)

from .support import make_ohlcv

DATA = make_ohlcv(600)

PEEKS = """
def generate_signals(data, params):
    nxt = data['close'].shift(-1)
    return (nxt > data['close']).fillna(False), (nxt < data['close']).fillna(False)
"""

CENTRED = """
def generate_signals(data, params):
    mid = data['close'].rolling(21, center=True).mean()
    return (data['close'] > mid).fillna(False), (data['close'] < mid).fillna(False)
"""

WHOLE_SERIES = """
def generate_signals(data, params):
    z = (data['close'] - data['close'].mean()) / data['close'].std()
    return z < -1, z > 1
"""

HONEST = """
def generate_signals(data, params):
    fast = data['close'].rolling(10).mean()
    slow = data['close'].rolling(30).mean()
    prev = data['close'].shift(1)
    return (fast > slow) & (data['close'] > prev), fast < slow
"""


@pytest.mark.parametrize("source", [PEEKS, CENTRED, WHOLE_SERIES], ids=["shift", "centred", "mean"])
def test_look_ahead_is_refused_naming_the_bar(source: str) -> None:
    full = run_strategy(source, DATA)
    with pytest.raises(SandboxError) as err:
        probe_lookahead(source, DATA, full)
    exc = err.value
    assert exc.code == "look_ahead"
    assert "looks ahead" in exc.message
    assert exc.bar is not None
    assert exc.bar.isoformat()[:10] in exc.message  # the first bar whose signal changed


def test_shift_minus_one_names_the_first_bar_that_changed() -> None:
    full = run_strategy(PEEKS, DATA)
    with pytest.raises(SandboxError) as err:
        probe_lookahead(PEEKS, DATA, full)
    # the prefixes end on signal bars: the first probed prefix ends on the first entry or exit
    first_signal = int(min(full.entries.argmax(), full.exits.argmax()))
    bar = err.value.bar
    assert bar is not None
    assert DATA.index.get_loc(bar) >= first_signal


def test_honest_strategy_passes() -> None:
    full = run_strategy(HONEST, DATA)
    checked = probe_lookahead(HONEST, DATA, full)
    assert len(checked) >= 3  # the prefix lengths evaluated
    assert all(10 <= p <= len(DATA) for p in checked)


def test_a_strategy_that_needs_the_whole_history_says_so() -> None:
    source = """
def generate_signals(data, params):
    last = data['close'].iloc[550]
    return data['close'] > last, data['close'] < last
"""
    full = run_strategy(source, DATA)
    with pytest.raises(SandboxError) as err:
        probe_lookahead(source, DATA, full)
    assert err.value.code == "runtime_error"
    assert "while checking for look-ahead" in err.value.message


def _forks() -> int:
    value = sandbox_status()["zygote_forks"]
    assert isinstance(value, int)
    return value


def test_a_batch_is_probed_in_one_forked_child_with_every_layer() -> None:
    other = make_ohlcv(400, seed=3)
    runs = [(DATA, None), (other, None), (DATA, None)]
    fulls = run_strategy_batch(HONEST, runs)
    before = _forks()
    checked = probe_lookahead_batch(HONEST, runs, fulls)
    assert _forks() == before + 1  # every prefix of every run in ONE child
    status = sandbox_status()
    assert status["mode"] == "zygote"
    layers = status["isolation"]
    assert isinstance(layers, dict)
    assert layers["seccomp"].startswith("filter")
    assert "nproc=0" in layers["rlimits"]
    if os.geteuid() == 0:
        assert layers["network"] == "netns"
    assert [len(c) >= 3 for c in checked] == [True, True, True]
    assert all(p <= len(other) for p in checked[1])
    assert checked[0] == checked[2] == probe_lookahead(HONEST, DATA, fulls[0])


def test_a_batch_probe_names_the_run_that_looks_ahead() -> None:
    source = """
def generate_signals(data, params):
    price = data['close'].shift(-1) if params['peek'] else data['close'].shift(1)
    return (price > data['close']).fillna(False), (price < data['close']).fillna(False)
"""
    runs = [(DATA, {"peek": False}), (DATA, {"peek": True})]
    fulls = run_strategy_batch(source, runs)
    with pytest.raises(SandboxError) as err:
        probe_lookahead_batch(source, runs, fulls, names=["honest", "peeking"])
    assert err.value.code == "look_ahead"
    assert err.value.call == 1
    assert err.value.message.startswith("peeking: the strategy looks ahead")
    with pytest.raises(SandboxError) as err:
        probe_lookahead_batch(source, runs, fulls)
    assert err.value.message.startswith("call 2 of 2: the strategy looks ahead")


def test_a_prefix_cannot_see_what_another_prefix_did() -> None:
    # Every prefix is a call of its own: fresh globals, a fresh copy of its bars.
    source = """
calls = []

def generate_signals(data, params):
    calls.append(1)
    first = len(calls) == 1 and data['close'].iloc[0] > 0
    data['close'] = data['close'] * 0 - 1
    return data['open'] > 0 if first else data['open'] < 0, data['open'] < 0
"""
    full = run_strategy(source, DATA)
    assert probe_lookahead(source, DATA, full)


def test_a_batch_probe_failure_names_the_run_and_the_prefix() -> None:
    source = """
def generate_signals(data, params):
    if len(data) < params['need']:
        raise ValueError('too short')
    return data['close'] > 0, data['close'] < 0
"""
    runs = [(DATA, {"need": 0}), (DATA, {"need": len(DATA)})]
    fulls = run_strategy_batch(source, runs)
    with pytest.raises(SandboxError) as err:
        probe_lookahead_batch(source, runs, fulls, names=["A", "B"])
    assert err.value.code == "runtime_error"
    assert err.value.call == 1
    assert err.value.message.startswith("B: while checking for look-ahead, the strategy failed ")
    assert f"of {len(DATA):,} bars" in err.value.message
    assert "too short" in err.value.message
