"""Look-ahead probe: a strategy is re-run on prefixes of the data (one extra sandboxed call);
signals that change once the future is cut off are refused, naming the first such bar."""

from __future__ import annotations

import pytest

from vt_sandbox import SandboxError, probe_lookahead, run_strategy

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
