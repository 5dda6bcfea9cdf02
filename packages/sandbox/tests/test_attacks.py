"""Attack corpus: every entry must be stopped, by the full stack and by the runtime alone.

Runs are independent fresh processes, so the corpus is executed on a thread pool (the
public API is thread-safe) and each test then checks its own recorded outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vt_sandbox import SandboxError, run_strategy
from vt_sandbox.runner import _run

from .support import FAST_LIMITS, CorpusEntry, Prefetch, Tripwire, load_corpus, make_ohlcv

# The whole corpus runs in one module fixture; give slow, loaded CI machines room.
pytestmark = pytest.mark.timeout(900)

ATTACKS = load_corpus("attacks")
DATA = make_ohlcv(300)
LEGIT_PROBE = """
def generate_signals(data, params):
    fast = data.close.rolling(5).mean()
    return (data.close > fast).fillna(False), (data.close < fast).fillna(False)
"""


@dataclass
class Outcome:
    public: BaseException | None
    runtime: BaseException | None
    legit_after: BaseException | None
    sentinel_created: bool


def _materialise(source: str, sentinel: Path, port: int) -> str:
    return source.replace("SENTINEL_PATH", str(sentinel)).replace("LISTENER_PORT", str(port))


def _attempt(source: str, *, static_policy: bool) -> BaseException | None:
    try:
        if static_policy:
            run_strategy(source, DATA, limits=FAST_LIMITS)
        else:
            _run(source, DATA, None, FAST_LIMITS, _static_policy=False)
    except Exception as exc:
        return exc
    return None


def _legit_run() -> BaseException | None:
    try:
        signals = run_strategy(LEGIT_PROBE, DATA, limits=FAST_LIMITS)
        expected = (DATA.close > DATA.close.rolling(5).mean()).to_numpy()
        np.testing.assert_array_equal(signals.entries, expected)
    except Exception as exc:
        return exc
    return None


def _play(entry: CorpusEntry, workdir: Path, port: int) -> Outcome:
    sentinel = workdir / entry.name / "pwned"
    sentinel.parent.mkdir(parents=True)
    source = _materialise(entry.source, sentinel, port)
    public = _attempt(source, static_policy=True)
    runtime = _attempt(source, static_policy=False)
    # 3) The next legitimate run (same thread, right after) works.
    legit = _legit_run()
    return Outcome(public, runtime, legit, sentinel.exists())


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, tripwire: Tripwire
) -> Iterator[Prefetch[str, Outcome]]:
    workdir = tmp_path_factory.mktemp("attacks")
    before = len(tripwire.connections)
    by_name = {e.name: e for e in ATTACKS}
    runs = Prefetch(lambda name: _play(by_name[name], workdir, tripwire.port), list(by_name))
    yield runs
    runs.close()
    assert len(tripwire.connections) == before, "an attack reached the network"


def test_corpus_is_large_enough() -> None:
    assert len(ATTACKS) >= 50
    for entry in ATTACKS:
        assert entry.header.get("ATTACK"), entry.name
        assert entry.header.get("EXPECT"), entry.name
        assert entry.header.get("RUNTIME"), entry.name


@pytest.mark.parametrize("entry", ATTACKS, ids=[e.name for e in ATTACKS])
def test_attack_is_stopped(
    entry: CorpusEntry, outcomes: Prefetch[str, Outcome], tripwire: Tripwire
) -> None:
    outcome = outcomes.get(entry.name)
    # 1) Full stack (public API).
    assert isinstance(outcome.public, SandboxError), outcome.public
    assert outcome.public.code in entry.header["EXPECT"].split("|"), outcome.public
    assert outcome.public.message
    # 2) Static policy bypassed: RestrictedPython + guards + rlimits + seccomp alone.
    assert isinstance(outcome.runtime, SandboxError), outcome.runtime
    assert outcome.runtime.code in entry.header["RUNTIME"].split("|"), outcome.runtime
    assert not outcome.sentinel_created, "the attack created a file"
    assert outcome.legit_after is None, outcome.legit_after
    assert tripwire.connections == [], "something connected to the tripwire listener"


def test_process_healthy_after_corpus() -> None:
    assert _legit_run() is None
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert frame.x.mean() == 1.5  # numpy/pandas in the parent are untouched
    assert np.mean is not None
    assert pd.Series.rolling.__name__ == "rolling"
