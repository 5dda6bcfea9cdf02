"""Deterministic synthetic data and spec builders for the engine tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vt_contracts.strategy import StrategySpec


def ohlcv(
    n: int = 500,
    seed: int = 0,
    start: str = "2015-01-02",
    freq: str = "B",
    drift: float = 0.0003,
    vol: float = 0.015,
    price: float = 100.0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(drift, vol, n)
    close = price * np.exp(np.cumsum(r))
    open_ = np.empty(n)
    open_[0] = price
    open_[1:] = close[:-1] * np.exp(rng.normal(0, vol / 3, n - 1))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, vol / 2, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, vol / 2, n)))
    volume = rng.integers(1_000, 100_000, n).astype(np.float64)
    idx = pd.date_range(start, periods=n, freq=freq, tz="UTC")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=idx
    )


def frame_from(
    close: list[float] | np.ndarray,
    open_: list[float] | np.ndarray | None = None,
    high: list[float] | np.ndarray | None = None,
    low: list[float] | np.ndarray | None = None,
    start: str = "2020-01-01",
    freq: str = "D",
) -> pd.DataFrame:
    c = np.asarray(close, dtype=np.float64)
    o = np.asarray(open_, dtype=np.float64) if open_ is not None else c.copy()
    h = np.asarray(high, dtype=np.float64) if high is not None else np.maximum(o, c)
    lo = np.asarray(low, dtype=np.float64) if low is not None else np.minimum(o, c)
    idx = pd.date_range(start, periods=len(c), freq=freq, tz="UTC")
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": 1000.0}, index=idx)


def cross(kind: str, left: str, right: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "left": {"kind": "indicator", "id": left},
        "right": {"kind": "indicator", "id": right},
    }


def sma_cross_spec(
    fast: int = 10, slow: int = 30, symbols: list[str] | None = None, **over: Any
) -> StrategySpec:
    doc: dict[str, Any] = {
        "name": "sma cross",
        "universe": {"symbols": symbols or ["AAA"]},
        "indicators": [
            {"kind": "sma", "id": "fast", "window": fast},
            {"kind": "sma", "id": "slow", "window": slow},
        ],
        "entry": cross("crosses_above", "fast", "slow"),
        "exit": cross("crosses_below", "fast", "slow"),
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {**doc[k], **v}
        else:
            doc[k] = v
    return StrategySpec.model_validate(doc)


def price_entry_spec(
    entry_above: float, symbols: list[str] | None = None, **over: Any
) -> StrategySpec:
    """Long when close > entry_above (decided on the close); no exit signal."""
    doc: dict[str, Any] = {
        "name": "threshold",
        "universe": {"symbols": symbols or ["AAA"]},
        "entry": {
            "kind": "compare",
            "left": {"kind": "price", "field": "close"},
            "op": ">",
            "right": {"kind": "const", "value": entry_above},
        },
        "costs": {"commission_pct": 0, "slippage_pct": 0},
    }
    doc.update(over)
    return StrategySpec.model_validate(doc)
