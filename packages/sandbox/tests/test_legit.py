"""Legitimate strategies: must pass every layer and match an unsandboxed run exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vt_sandbox import StrategySignals, check_code, run_strategy

from .support import CorpusEntry, Prefetch, load_corpus, make_ohlcv

pytestmark = pytest.mark.timeout(900)

LEGIT = load_corpus("legit")
DATA = make_ohlcv(2520)


def _params(entry: CorpusEntry) -> dict[str, Any]:
    raw = entry.header.get("PARAMS")
    return json.loads(raw) if raw else {}


def _direct(entry: CorpusEntry) -> dict[str, np.ndarray[Any, Any]]:
    """The same strategy run in-process without any sandbox (trusted corpus only)."""
    namespace: dict[str, Any] = {}
    exec(compile(entry.source, entry.name, "exec"), namespace)
    out = namespace["generate_signals"](DATA.copy(), _params(entry))
    if isinstance(out, tuple):
        out = {"entries": out[0], "exits": out[1]}
    return {k: np.asarray(v, dtype=float).astype(bool) for k, v in out.items()}


@pytest.fixture(scope="module")
def sandboxed() -> Iterator[Prefetch[str, StrategySignals | BaseException]]:
    by_name = {e.name: e for e in LEGIT}

    def run(name: str) -> StrategySignals | BaseException:
        entry = by_name[name]
        try:
            return run_strategy(entry.source, DATA, _params(entry))
        except Exception as exc:
            return exc

    runs = Prefetch(run, list(by_name))
    yield runs
    runs.close()


def test_corpus_is_large_enough() -> None:
    assert len(LEGIT) >= 20


@pytest.mark.parametrize("entry", LEGIT, ids=[e.name for e in LEGIT])
def test_legit_strategy(
    entry: CorpusEntry, sandboxed: Prefetch[str, StrategySignals | BaseException]
) -> None:
    report = check_code(entry.source)
    assert report.ok, report.summary()
    result = sandboxed.get(entry.name)
    assert isinstance(result, StrategySignals), result
    expected = _direct(entry)
    for name in ("entries", "exits", "short_entries", "short_exits"):
        got = getattr(result, name)
        if name not in expected:
            assert got is None
            continue
        assert got.dtype == np.bool_
        assert len(got) == len(DATA)
        assert not got.flags.writeable
        np.testing.assert_array_equal(got, expected[name], err_msg=f"{entry.name}.{name}")
    assert result.elapsed_s > 0


def test_sma_cross_matches_hand_computed(sandboxed: Prefetch[str, Any]) -> None:
    fast = DATA.close.rolling(10).mean()
    slow = DATA.close.rolling(30).mean()
    entries = ((fast > slow) & (fast.shift(1) <= slow.shift(1))).fillna(False)
    result = sandboxed.get("sma_cross")
    np.testing.assert_array_equal(result.entries, entries.to_numpy())
    assert result.entries.sum() > 0


def test_print_is_captured(sandboxed: Prefetch[str, Any]) -> None:
    assert sandboxed.get("helper_functions").stdout == "windows [5, 15]\n"


def test_short_signals_returned(sandboxed: Prefetch[str, Any]) -> None:
    result = sandboxed.get("dict_with_shorts")
    assert result.short_entries is not None
    assert result.short_exits is not None
    np.testing.assert_array_equal(result.short_entries, result.exits)


def test_isolation_is_reported(sandboxed: Prefetch[str, Any]) -> None:
    isolation = sandboxed.get("ema_trend").isolation
    assert isolation["seccomp"].startswith("filter")
    assert "fsize=0" in isolation["rlimits"]


def test_naive_index_and_tz_are_accepted() -> None:
    src = LEGIT[0].source
    naive = DATA.tz_convert(None).iloc[:200]
    result = run_strategy(src, naive, {"fast": 3, "slow": 8})
    assert len(result.entries) == 200


def test_concurrent_runs_from_threads() -> None:
    src = next(e for e in LEGIT if e.name == "ema_trend").source
    frame = DATA.iloc[:500]

    def one(span: int) -> int:
        return int(run_strategy(src, frame, {"span": span}).entries.sum())

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(one, [5, 10, 20, 40]))
    for span, count in zip([5, 10, 20, 40], counts, strict=True):
        ema = frame.close.ewm(span=span, adjust=False).mean()
        assert count == int((frame.close > ema).sum())


def test_empty_params_and_minimal_frame() -> None:
    src = "def generate_signals(data, params):\n    return data.close > 0, data.close < 0\n"
    frame = pd.DataFrame(
        {c: [1.0, 2.0] for c in ("open", "high", "low", "close", "volume")},
        index=pd.date_range("2024-01-01", periods=2, tz="UTC"),
    )
    result = run_strategy(src, frame)
    assert result.entries.tolist() == [True, True]
