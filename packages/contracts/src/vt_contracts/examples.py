"""Canonical example specs, for documentation, OpenAPI examples, stubs and tests."""

from __future__ import annotations

from typing import Any


def sma_crossover_spec(
    symbol: str = "SPY", fast: int = 20, slow: int = 50, **extra: Any
) -> dict[str, Any]:
    """A long-only fast/slow SMA crossover on daily bars, as a plain StrategySpec dict.

    Top-level keys in `extra` (e.g. `risk`, `period`, `universe`) replace the defaults.
    """
    cross = {
        "left": {"kind": "indicator", "id": "fast"},
        "right": {"kind": "indicator", "id": "slow"},
    }
    spec: dict[str, Any] = {
        "name": f"{symbol} {fast}/{slow} SMA crossover",
        "universe": {"symbols": [symbol]},
        "indicators": [
            {"kind": "sma", "id": "fast", "window": fast},
            {"kind": "sma", "id": "slow", "window": slow},
        ],
        "entry": {"kind": "crosses_above", **cross},
        "exit": {"kind": "crosses_below", **cross},
    }
    spec.update(extra)
    return spec
