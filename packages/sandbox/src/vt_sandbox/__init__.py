"""Sandbox for untrusted strategy code: static policy, RestrictedPython, isolated child process.

Public API::

    check_code(source) -> SandboxReport
    run_strategy(source, data, params=None, limits=None) -> StrategySignals
    run_strategy_batch(source, [(data, params), ...], limits=None) -> list[StrategySignals]
    sandbox_status() -> dict (zygote or fresh process, isolation layers in force)
"""

from vt_sandbox.errors import SandboxError, SandboxReport, SandboxViolation
from vt_sandbox.limits import SandboxLimits
from vt_sandbox.policy import check_code
from vt_sandbox.runner import run_strategy, run_strategy_batch, sandbox_status
from vt_sandbox.signals import StrategySignals

__all__ = [
    "SandboxError",
    "SandboxLimits",
    "SandboxReport",
    "SandboxViolation",
    "StrategySignals",
    "check_code",
    "run_strategy",
    "run_strategy_batch",
    "sandbox_status",
]
