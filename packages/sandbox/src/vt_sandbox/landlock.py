"""Landlock (Linux >= 5.13): confine the child's filesystem view to what Python needs.

After this, the process can only *read* (and map) files beneath the interpreter's
stdlib, the directories on ``sys.path`` and the bytecode cache; every write and every
read elsewhere (``/etc``, ``/proc/1/environ``, home directories, the work tree) fails
with EACCES - even for root, and even if every other layer had been bypassed.
"""

from __future__ import annotations

import ctypes
import functools
import os

_SYS_CREATE_RULESET = 444  # same numbers on x86_64 and aarch64
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_ACCESS_EXECUTE = 1 << 0
_ACCESS_READ_FILE = 1 << 2
_ACCESS_READ_DIR = 1 << 3
_READ_ONLY = _ACCESS_EXECUTE | _ACCESS_READ_FILE | _ACCESS_READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel struct is __attribute__((packed))
    _fields_ = [
        ("allowed_access", ctypes.c_uint64),
        ("parent_fd", ctypes.c_int32),
    ]


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)  # libc is already linked in; cached (slow to build)


def abi_version() -> int:
    """Landlock ABI supported by the running kernel (0 if unavailable)."""
    rc = int(_libc().syscall(_SYS_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION))
    return max(rc, 0)


def _handled_fs(abi: int) -> int:
    # v1: 13 rights, v2 adds REFER, v3 TRUNCATE, v5 IOCTL_DEV (v4 only adds network).
    bits = {1: 13, 2: 14, 3: 15, 4: 15}.get(abi, 16)
    return (1 << bits) - 1


def restrict_to(read_paths: list[str]) -> str:
    """Allow read-only access beneath ``read_paths``; deny every other filesystem access."""
    libc = _libc()
    abi = abi_version()
    if abi < 1:
        return "unavailable (kernel without Landlock)"
    attr = _RulesetAttr(_handled_fs(abi))
    ruleset = int(libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0))
    if ruleset < 0:
        return f"unavailable ({os.strerror(ctypes.get_errno())})"
    allowed = 0
    try:
        for path in dict.fromkeys(read_paths):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY)
            except OSError:
                continue
            try:
                rule = _PathBeneathAttr(_READ_ONLY, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0):
                    continue
                allowed += 1
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"unavailable ({os.strerror(ctypes.get_errno())})"
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            return f"unavailable ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return f"abi {abi}, read-only beneath {allowed} dirs"
