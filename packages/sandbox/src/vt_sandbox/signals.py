"""The validated output of a sandboxed strategy run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class StrategySignals:
    """Boolean signal arrays aligned bar-for-bar with the input data (read-only arrays)."""

    entries: BoolArray
    exits: BoolArray
    short_entries: BoolArray | None
    short_exits: BoolArray | None
    stdout: str
    elapsed_s: float
