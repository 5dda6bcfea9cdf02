"""Sandbox for untrusted strategy code: static policy, RestrictedPython, isolated child process.

Public API::

    check_code(source) -> SandboxReport
    run_strategy(source, data, params=None, limits=None) -> StrategySignals
    run_strategy_batch(source, [(data, params), ...], limits=None) -> list[StrategySignals]
    probe_lookahead(source, data, full_signals, params=None, limits=None) -> prefixes checked
    probe_lookahead_batch(source, [(data, params), ...], [full_signals, ...], limits=None)
        -> prefixes checked per run (all runs in one extra child)
    sandbox_status() -> dict (zygote or fresh process, isolation layers in force)
"""

from vt_sandbox.errors import SandboxError, SandboxReport, SandboxViolation
from vt_sandbox.limits import SandboxLimits
from vt_sandbox.policy import check_code
from vt_sandbox.runner import (
    probe_lookahead,
    probe_lookahead_batch,
    run_strategy,
    run_strategy_batch,
    sandbox_status,
)
from vt_sandbox.signals import StrategySignals

__all__ = [
    "SandboxError",
    "SandboxLimits",
    "SandboxReport",
    "SandboxViolation",
    "StrategySignals",
    "check_code",
    "probe_lookahead",
    "probe_lookahead_batch",
    "run_strategy",
    "run_strategy_batch",
    "sandbox_status",
]
