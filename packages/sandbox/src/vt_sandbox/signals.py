"""The validated output of a sandboxed strategy run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    BoolArray = npt.NDArray[np.bool_]
else:  # numpy is imported lazily so the sandbox child starts faster
    BoolArray = Any


@dataclass(frozen=True, slots=True, eq=False)
class StrategySignals:
    """Boolean signal arrays aligned bar-for-bar with the input data (read-only arrays)."""

    entries: BoolArray
    exits: BoolArray
    short_entries: BoolArray | None
    short_exits: BoolArray | None
    stdout: str
    elapsed_s: float
    #: What the child actually enforced (network, privileges, rlimits, seccomp).
    isolation: Mapping[str, str] = field(default_factory=dict)
