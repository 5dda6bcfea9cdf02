"""Sandbox for untrusted strategy code: static policy, RestrictedPython, isolated child process.

Public API::

    check_code(source) -> SandboxReport
    run_strategy(source, data, params=None, limits=None) -> StrategySignals
    probe_lookahead(source, data, full_signals, params=None, limits=None) -> prefixes checked
"""

from vt_sandbox.errors import SandboxError, SandboxReport, SandboxViolation
from vt_sandbox.limits import SandboxLimits
from vt_sandbox.policy import check_code
from vt_sandbox.runner import probe_lookahead, run_strategy
from vt_sandbox.signals import StrategySignals

__all__ = [
    "SandboxError",
    "SandboxLimits",
    "SandboxReport",
    "SandboxViolation",
    "StrategySignals",
    "check_code",
    "probe_lookahead",
    "run_strategy",
]
