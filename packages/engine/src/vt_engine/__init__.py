"""Pure backtest engine core: indicators, spec compiler, simulator, metrics, validation.

Importing ``vt_engine`` (and ``vt_engine.indicators``) stays light - numpy and pandas only.
Everything heavier (numba kernels, vectorbt, scipy, exchange calendars) loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vt_engine import indicators
from vt_engine.errors import EngineError
from vt_engine.version import ENGINE_VERSION

if TYPE_CHECKING:
    from vt_engine.compiler import Signals, compile_spec
    from vt_engine.data import hash_frames
    from vt_engine.engine import SignalArrays, run_backtest, run_code_backtest
    from vt_engine.warm import warmup

__all__ = [
    "ENGINE_VERSION",
    "EngineError",
    "SignalArrays",
    "Signals",
    "compile_spec",
    "hash_frames",
    "indicators",
    "run_backtest",
    "run_code_backtest",
    "warmup",
]

_LAZY = {
    "compile_spec": "vt_engine.compiler",
    "Signals": "vt_engine.compiler",
    "hash_frames": "vt_engine.data",
    "run_backtest": "vt_engine.engine",
    "run_code_backtest": "vt_engine.engine",
    "SignalArrays": "vt_engine.engine",
    "warmup": "vt_engine.warm",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'vt_engine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value
