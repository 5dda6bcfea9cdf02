"""Process hardening applied inside the child right before untrusted code runs.

Order matters: namespaces and the privilege drop need privileges that the later steps
(rlimits, no_new_privs, seccomp) take away. Each step degrades gracefully where the host
does not support it and records what it actually achieved, so the parent (and the docs'
claims) can be checked.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import stat
import sys

from vt_sandbox import landlock, seccomp
from vt_sandbox.limits import SandboxLimits, apply_run_limits

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
NOBODY = 65534
_PR_CAPBSET_DROP = 24
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


@functools.cache
def _libc() -> ctypes.CDLL:
    # libc is already linked in. Cached: building a CDLL costs milliseconds, and the zygote
    # resolves it (and the symbols below) once for all its children.
    return ctypes.CDLL(None, use_errno=True)


def preload() -> None:
    """Resolve every libc symbol the hardening uses (the zygote calls this once)."""
    for lib in (_libc(), landlock._libc(), seccomp._libc()):
        for name in ("unshare", "prctl", "capset", "syscall"):
            getattr(lib, name)


def _unshare(flags: int) -> int:
    libc = _libc()
    if libc.unshare(flags) != 0:
        return ctypes.get_errno()
    return 0


def isolate_network() -> str:
    """Move into a fresh, empty network namespace (only a down loopback)."""
    if os.geteuid() == 0:
        err = _unshare(_CLONE_NEWNET)
        return "netns" if err == 0 else f"unavailable ({os.strerror(err)})"
    # Unprivileged: a user namespace grants CAP_SYS_ADMIN over a new net namespace.
    err = _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
    return "userns+netns" if err == 0 else f"unavailable ({os.strerror(err)})"


def _world_traversable(path: str) -> bool:
    """Could uid nobody read ``path``? (o+x on every ancestor, o+rx on the dir)."""
    path = os.path.abspath(path)
    parts = path.split(os.sep)
    for i in range(1, len(parts) + 1):
        current = os.sep.join(parts[:i]) or os.sep
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def _drop_capabilities() -> str:
    libc = _libc()
    for cap in range(64):  # bounding set: never regain anything, even via exec
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective/permitted/inheritable x 2 words, all zero
    if libc.capset(header, data) != 0:
        return f"failed ({os.strerror(ctypes.get_errno())})"
    return "root uid, all capabilities dropped"


def drop_privileges(read_paths: list[str]) -> str:
    """As root, become nobody if the interpreter stays readable; else drop every capability.

    Either way the child loses CAP_DAC_OVERRIDE (file modes apply), CAP_SYS_RESOURCE
    (RLIMIT_NPROC and hard limits apply), CAP_NET_* and CAP_SYS_ADMIN.
    """
    if os.geteuid() != 0:
        return f"uid {os.geteuid()} (not root)"
    if all(_world_traversable(p) for p in read_paths):
        try:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
        except OSError as exc:
            return f"failed ({exc.strerror})"
        return f"uid {NOBODY} (nobody)"
    return _drop_capabilities()


def _interpreter_paths() -> list[str]:
    paths = [os.path.dirname(os.__file__)]  # the stdlib (lib-dynload is beneath it)
    paths += [p for p in sys.path if p and os.path.isdir(p)]
    if sys.pycache_prefix:
        paths.append(sys.pycache_prefix)
    return paths


def harden(limits: SandboxLimits) -> dict[str, str]:
    """Apply every layer available here; returns a description of each."""
    report: dict[str, str] = {}
    report["network"] = isolate_network()
    read_paths = _interpreter_paths()
    report["privileges"] = drop_privileges(read_paths)
    applied = apply_run_limits(limits)
    report["rlimits"] = (
        f"cpu<={applied['cpu_soft_s']}s as<={applied['address_space_bytes'] >> 20}MiB "
        f"fsize=0 nproc=0 nofile={limits.max_open_files}"
    )
    report["landlock"] = landlock.restrict_to(read_paths)
    try:
        length = seccomp.install()
        report["seccomp"] = f"filter ({length} insns)"
    except OSError as exc:
        report["seccomp"] = f"unavailable ({exc})"
    return report
