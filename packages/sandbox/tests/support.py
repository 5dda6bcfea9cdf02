"""Helpers shared by the sandbox tests: synthetic OHLCV data, tripwire, corpus loading."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import pandas as pd
import pytest

from vt_sandbox import SandboxLimits

CORPUS = Path(__file__).parent / "corpus"
K = TypeVar("K")
V = TypeVar("V")

# Tight budgets keep the bomb tests quick; legit strategies use a tiny fraction.
FAST_LIMITS = SandboxLimits(cpu_seconds=1.0, wall_seconds=30.0, memory_mb=512)


def make_ohlcv(n: int = 2520, seed: int = 7) -> pd.DataFrame:
    idx = pd.date_range("2015-01-02", periods=n, freq="B", tz="UTC")
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
    open_ = close * (1 + rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.004, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.004, n)))
    volume = rng.integers(100_000, 2_000_000, n).astype(np.float64)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=idx
    )


@dataclass
class Tripwire:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""

    port: int
    connections: list[tuple[str, int]]


@pytest.fixture(scope="session")
def tripwire() -> Iterator[Tripwire]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    wire = Tripwire(port=server.getsockname()[1], connections=[])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except (TimeoutError, OSError):
                continue
            wire.connections.append(addr)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield wire
    stop.set()
    thread.join(timeout=2)
    server.close()


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    source: str
    header: dict[str, str]


def load_corpus(kind: str) -> list[CorpusEntry]:
    entries = []
    for path in sorted((CORPUS / kind).glob("*.py")):
        text = path.read_text(encoding="utf-8")
        header = {}
        for line in text.splitlines():
            if not line.startswith("# "):
                break
            key, _, value = line[2:].partition(":")
            header[key.strip()] = value.strip()
        entries.append(CorpusEntry(path.stem, text, header))
    return entries


class Prefetch(Generic[K, V]):
    """Run ``fn`` for many keys: all at once on a thread pool in a plain pytest run
    (runs are independent processes and the API is thread-safe), or lazily one at a
    time under pytest-xdist, where the workers already provide the parallelism and a
    worker must not redo the whole corpus for the few tests it was given."""

    def __init__(self, fn: Callable[[K], V], keys: list[K]) -> None:
        self._fn = fn
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[K, Future[V]] = {}
        if "PYTEST_XDIST_WORKER" not in os.environ:
            self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
            self._futures = {key: self._pool.submit(fn, key) for key in keys}

    def get(self, key: K) -> V:
        if self._pool is not None:
            return self._futures[key].result()
        return self._fn(key)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
