"""Resource limits for one sandboxed run, and how the child applies them."""

from __future__ import annotations

import math
import resource
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Budget for one run. Memory is *on top of* the interpreter with numpy/pandas loaded."""

    cpu_seconds: float = 5.0
    wall_seconds: float = 15.0
    memory_mb: int = 1024
    max_stdout_bytes: int = 64 * 1024
    max_source_bytes: int = 64 * 1024
    max_rows: int = 2_000_000
    max_params_bytes: int = 64 * 1024
    max_open_files: int = 32
    #: Fail closed (error "sandbox_failure") if the seccomp filter cannot be installed.
    require_seccomp: bool = True

    def __post_init__(self) -> None:
        if not (self.cpu_seconds > 0 and self.wall_seconds > 0 and self.memory_mb > 0):
            raise ValueError("sandbox limits must be positive")
        # Captured output travels JSON-escaped (up to 6 bytes per character) inside the
        # reply header, whose size the parent caps at 1 MiB.
        if not 0 < self.max_stdout_bytes <= 128 * 1024:
            raise ValueError("max_stdout_bytes must be between 1 and 131072")


def _vm_size_bytes() -> int:
    # /proc/self/statm field 0 is the total program size in pages.
    with open("/proc/self/statm", encoding="ascii") as fh:
        pages = int(fh.read().split()[0])
    return pages * resource.getpagesize()


def _set(which: int, value: int) -> None:
    # soft == hard: the sandboxed code cannot raise it again (setrlimit is also
    # blocked by seccomp, which matters when the child still runs as root).
    resource.setrlimit(which, (value, value))


def apply_early_limits() -> None:
    """Limits that never hurt imports: no core dumps, no file growth."""
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_FSIZE, 0)


def apply_run_limits(limits: SandboxLimits) -> dict[str, int]:
    """Apply the budget right before untrusted code runs; returns what was set."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu_used = used.ru_utime + used.ru_stime
    cpu_soft = math.ceil(cpu_used + limits.cpu_seconds)
    # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_soft, cpu_soft + 1))
    address_space = _vm_size_bytes() + limits.memory_mb * 1024 * 1024
    _set(resource.RLIMIT_AS, address_space)
    _set(resource.RLIMIT_NOFILE, limits.max_open_files)
    # Counted per user; ignored for root (CAP_SYS_RESOURCE), hence seccomp too.
    _set(resource.RLIMIT_NPROC, 0)
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_CORE, 0)
    return {"cpu_soft_s": cpu_soft, "address_space_bytes": address_space}
