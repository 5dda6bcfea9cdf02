"""A small seccomp-BPF filter installed with ctypes (no libseccomp needed).

Policy: allow everything except a deny-list of syscalls that reach outside the process
(network, exec, new processes, ptrace, mounts, namespaces, privilege changes, file
creation/modification, raising resource limits). Opening files is allowed read-only.
Threads stay possible (clone with CLONE_THREAD) because BLAS libraries may use them.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import struct

# Syscall numbers (from the kernel's uapi headers). aarch64 uses the generic table.
_X86_64: dict[str, int] = {
    "socket": 41, "socketpair": 53, "connect": 42, "bind": 49, "listen": 50, "accept": 43,
    "accept4": 288, "sendto": 44, "sendmsg": 46, "sendmmsg": 307, "recvfrom": 45,
    "recvmsg": 47, "recvmmsg": 299, "execve": 59, "execveat": 322, "fork": 57, "vfork": 58,
    "clone": 56, "clone3": 435, "ptrace": 101, "process_vm_readv": 310,
    "process_vm_writev": 311, "kill": 62, "tkill": 200, "tgkill": 234, "mount": 165,
    "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "reboot": 169, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "mknod": 133,
    "mknodat": 259, "creat": 85, "mkdir": 83, "mkdirat": 258, "rmdir": 84, "unlink": 87,
    "unlinkat": 263, "rename": 82, "renameat": 264, "renameat2": 316, "link": 86,
    "linkat": 265, "symlink": 88, "symlinkat": 266, "chmod": 90, "fchmod": 91,
    "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93, "lchown": 94,
    "fchownat": 260, "truncate": 76, "ftruncate": 77, "utime": 132, "utimes": 235,
    "utimensat": 280, "futimesat": 261, "setuid": 105, "setgid": 106, "setreuid": 113,
    "setregid": 114, "setresuid": 117, "setresgid": 119, "setfsuid": 122, "setfsgid": 123,
    "setgroups": 116, "capset": 126, "personality": 135, "acct": 163, "swapon": 167,
    "swapoff": 168, "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
    "settimeofday": 164, "clock_settime": 227, "adjtimex": 159, "clock_adjtime": 305,
    "memfd_create": 319, "name_to_handle_at": 303, "open_by_handle_at": 304,
    "fanotify_init": 300, "quotactl": 179, "syslog": 103, "vhangup": 153, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "pidfd_open": 434, "pidfd_getfd": 438, "pidfd_send_signal": 424,
    "process_madvise": 440, "kcmp": 312, "seccomp": 317, "setrlimit": 160, "prlimit64": 302,
    "open": 2, "openat": 257, "openat2": 437, "landlock_create_ruleset": 444,
    "landlock_add_rule": 445, "landlock_restrict_self": 446, "uselib": 134,
    "lookup_dcookie": 212, "nfsservctl": 180,
}  # fmt: skip
_AARCH64: dict[str, int] = {
    "socket": 198, "socketpair": 199, "connect": 203, "bind": 200, "listen": 201,
    "accept": 202, "accept4": 242, "sendto": 206, "sendmsg": 211, "sendmmsg": 269,
    "recvfrom": 207, "recvmsg": 212, "recvmmsg": 243, "execve": 221, "execveat": 281,
    "clone": 220, "clone3": 435, "ptrace": 117, "process_vm_readv": 270,
    "process_vm_writev": 271, "kill": 129, "tkill": 130, "tgkill": 131, "mount": 40,
    "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
    "reboot": 142, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
    "finit_module": 273, "delete_module": 106, "bpf": 280, "perf_event_open": 241,
    "userfaultfd": 282, "keyctl": 219, "add_key": 217, "request_key": 218,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "mknodat": 33,
    "mkdirat": 34, "unlinkat": 35, "renameat": 38, "renameat2": 276, "linkat": 37,
    "symlinkat": 36, "fchmod": 52, "fchmodat": 53, "fchmodat2": 452, "fchown": 55,
    "fchownat": 54, "truncate": 45, "ftruncate": 46, "utimensat": 88, "setuid": 146,
    "setgid": 144, "setreuid": 145, "setregid": 143, "setresuid": 147, "setresgid": 149,
    "setfsuid": 151, "setfsgid": 152, "setgroups": 159, "capset": 91, "personality": 92,
    "acct": 89, "swapon": 224, "swapoff": 225, "sethostname": 161, "setdomainname": 162,
    "settimeofday": 170, "clock_settime": 112, "adjtimex": 171, "clock_adjtime": 266,
    "memfd_create": 279, "name_to_handle_at": 264, "open_by_handle_at": 265,
    "fanotify_init": 262, "quotactl": 60, "syslog": 116, "vhangup": 58, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "pidfd_open": 434, "pidfd_getfd": 438, "pidfd_send_signal": 424,
    "process_madvise": 440, "kcmp": 272, "seccomp": 277, "setrlimit": 164,
    "prlimit64": 261, "openat": 56, "openat2": 437, "landlock_create_ruleset": 444,
    "landlock_add_rule": 445, "landlock_restrict_self": 446, "lookup_dcookie": 18,
    "nfsservctl": 42,
}  # fmt: skip

_ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, _X86_64),
    "aarch64": (0xC00000B7, _AARCH64),
}

# Handled by a special rule below instead of a plain deny.
_SPECIAL = frozenset(
    {"clone", "clone3", "open", "openat", "openat2", "kill", "tkill", "tgkill", "prlimit64"}
)

# BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JSET_K = 0x45
_JGE_K = 0x35
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_X32_SYSCALL_BIT = 0x40000000
_CLONE_THREAD = 0x00010000
_OPEN_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PR_SET_NO_NEW_PRIVS = 38
_SYS_SECCOMP_X86_64 = 317
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1

_Insn = tuple[int, int, int, int]


def _arg_lo(index: int) -> int:
    # struct seccomp_data: nr(u32) arch(u32) ip(u64) args[6](u64); little-endian low word
    return 16 + 8 * index


def _arg_hi(index: int) -> int:
    return 16 + 8 * index + 4


def _errno(code: int) -> int:
    return _RET_ERRNO | (code & 0xFFFF)


def build_filter(pid: int, machine: str | None = None) -> list[_Insn]:
    """Assemble the filter program for this architecture (raises if unsupported)."""
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        raise OSError(f"no seccomp syscall table for {machine}")
    audit_arch, table = _ARCHES[machine]
    eperm = _errno(errno.EPERM)
    prog: list[_Insn] = [
        (_LD_W_ABS, 0, 0, 4),  # arch
        (_JEQ_K, 1, 0, audit_arch),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, 0),  # syscall number
    ]
    if machine == "x86_64":
        # x32 ABI numbers alias the 64-bit ones; refuse the whole range.
        prog += [(_JGE_K, 0, 1, _X32_SYSCALL_BIT), (_RET_K, 0, 0, eperm)]
    for name, nr in sorted(table.items(), key=lambda item: item[1]):
        if name not in _SPECIAL:
            prog += [(_JEQ_K, 0, 1, nr), (_RET_K, 0, 0, eperm)]

    def rule(name: str, block: list[_Insn]) -> None:
        # Each block reloads what it needs and always ends in a RET, so the
        # accumulator clobbering does not leak into the following checks.
        if name in table:
            prog.append((_JEQ_K, 0, len(block), table[name]))
            prog.extend(block)

    allow_if_set = [(_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, eperm)]
    rule("clone", [(_LD_W_ABS, 0, 0, _arg_lo(0)), (_JSET_K, 0, 1, _CLONE_THREAD), *allow_if_set])
    # clone3 passes flags in memory the filter cannot read: say "not implemented" so
    # glibc falls back to clone(), which is checked above.
    rule("clone3", [(_RET_K, 0, 0, _errno(errno.ENOSYS))])
    rule("openat2", [(_RET_K, 0, 0, _errno(errno.ENOSYS))])
    read_only = [(_RET_K, 0, 0, _errno(errno.EACCES)), (_RET_K, 0, 0, _RET_ALLOW)]
    rule("open", [(_LD_W_ABS, 0, 0, _arg_lo(1)), (_JSET_K, 0, 1, _OPEN_WRITE_FLAGS), *read_only])
    rule("openat", [(_LD_W_ABS, 0, 0, _arg_lo(2)), (_JSET_K, 0, 1, _OPEN_WRITE_FLAGS), *read_only])
    self_only = [(_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, eperm)]
    for name in ("kill", "tkill", "tgkill"):
        # Signals to ourselves only (abort(), faulthandler); never to other processes.
        rule(name, [(_LD_W_ABS, 0, 0, _arg_lo(0)), (_JEQ_K, 0, 1, pid), *self_only])
    # prlimit64 with new_limit == NULL is getrlimit(); setting limits is refused.
    rule(
        "prlimit64",
        [
            (_LD_W_ABS, 0, 0, _arg_lo(2)),
            (_JEQ_K, 0, 3, 0),
            (_LD_W_ABS, 0, 0, _arg_hi(2)),
            (_JEQ_K, 0, 1, 0),
            (_RET_K, 0, 0, _RET_ALLOW),
            (_RET_K, 0, 0, eperm),
        ],
    )
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    return prog


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [
        ("len", ctypes.c_ushort),
        ("filter", ctypes.POINTER(_SockFilter)),
    ]


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)  # libc is already linked in; cached (slow to build)


def install(pid: int | None = None) -> int:
    """Install the filter on every thread of this process; returns the program length."""
    prog = build_filter(pid if pid is not None else os.getpid())
    if any(jt > 255 or jf > 255 for _, jt, jf, _k in prog):
        raise OSError("seccomp program jump out of range")
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(NO_NEW_PRIVS) failed: {os.strerror(err)}")
    insns = (_SockFilter * len(prog))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in prog])
    fprog = _SockFprog(len(prog), insns)
    nr = _SYS_SECCOMP_X86_64 if platform.machine() == "x86_64" else _AARCH64["seccomp"]
    rc = libc.syscall(nr, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog))
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp(SET_MODE_FILTER) failed: {os.strerror(err)}")
    return len(prog)


def pack(prog: list[_Insn]) -> bytes:
    """Raw ``struct sock_filter`` bytes (used by tests to sanity-check the program)."""
    return b"".join(struct.pack("<HBBI", c, jt, jf, k) for c, jt, jf, k in prog)
