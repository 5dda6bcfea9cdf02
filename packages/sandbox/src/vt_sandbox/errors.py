"""Error and report types shared by the static checker, the runner and the child."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Stable machine codes carried by :class:`SandboxError`.
ERROR_CODES = frozenset(
    {
        "policy_violation",
        "timeout",
        "cpu_limit",
        "memory_limit",
        "bad_output",
        "bad_input",
        "runtime_error",
        "output_too_large",
        "sandbox_failure",
        "look_ahead",
    }
)


@dataclass(frozen=True, slots=True)
class SandboxViolation:
    """One policy finding: where it is and what to change."""

    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, col {self.col}: {self.message} [{self.code}]"


@dataclass(frozen=True, slots=True)
class SandboxReport:
    """Result of :func:`vt_sandbox.check_code`."""

    violations: list[SandboxViolation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self, limit: int = 10) -> str:
        lines = [str(v) for v in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"... and {len(self.violations) - limit} more")
        return "\n".join(lines)


class SandboxError(Exception):
    """A sandboxed run failed; ``code`` is stable, ``message`` tells the user what to fix."""

    def __init__(
        self,
        code: str,
        message: str,
        violations: list[SandboxViolation] | None = None,
        *,
        bar: Any = None,
        call: int | None = None,
    ) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown sandbox error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.violations: list[SandboxViolation] = list(violations or [])
        #: look_ahead: the timestamp of the first bar whose signal changed (a pandas Timestamp)
        self.bar = bar
        #: the index of the failing call of a batch (``run_strategy_batch``, the look-ahead
        #: probe of a batch), when the sandbox knows it
        self.call = call
