"""Parent side of process creation: a child forked by the zygote, or a fresh interpreter.

``start_child(workdir)`` returns a :class:`Child` whose stdin/stdout/stderr pipe ends the
runner pumps, and whose ``finish`` reaps it (killing it first when asked or when it overruns
the grace period). Which way the child is made is decided by ``VT_SANDBOX_ZYGOTE``:

* ``auto`` (default): fork from the zygote, started lazily on first use and restarted if it
  dies; if it cannot be started, fall back to a fresh interpreter per run (and try the
  zygote again after ``_RETRY_AFTER_S``);
* ``required``: the zygote or ``sandbox_failure``, never the fallback;
* ``off``: always a fresh interpreter (the path used before the zygote existed).

Either way the child runs :func:`vt_sandbox.child.main` and applies every isolation layer
before untrusted code runs; see ``zygote.py`` for what the zygote holds and does.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from vt_sandbox import bytecode, zygote
from vt_sandbox.errors import SandboxError

# The child environment is empty except for thread caps: BLAS/OpenMP pools would
# otherwise spawn threads (and reserve address space) per core. The zygote gets the same
# environment, so numpy's pools are capped at one thread *before* numpy is imported.
CHILD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "LC_ALL": "C.UTF-8",
}
_CHILD_BOOT = (
    "import sys,json;sys.path[0:0]=json.loads(sys.argv[1]);from vt_sandbox.child import main;main()"
)
_ZYGOTE_BOOT = (
    "import sys,json;sys.path[0:0]=json.loads(sys.argv[1]);"
    "from vt_sandbox.zygote import main;main()"
)
_START_TIMEOUT_S = 60.0  # imports on a loaded 2-CPU host can take seconds
_SPAWN_TIMEOUT_S = 10.0  # the zygote answers a fork request in about a millisecond
_RETRY_AFTER_S = 30.0
# Children share the zygote's address-space layout and hash seed; a fresh zygote (started in
# the background, swapped in when ready) re-randomises both every this many forks.
RECYCLE_AFTER_FORKS = 1000
_MODES = ("auto", "required", "off")


class Child(Protocol):
    """One running sandbox child, seen from the parent."""

    stdin: int
    stdout: int
    stderr: int

    def close_stdin(self) -> None:
        """All input written: the child sees EOF."""
        ...

    lost: bool

    def finish(self, grace: float, *, need_status: bool = True) -> tuple[int | None, float]:
        """Wait up to ``grace`` s for a normal exit, then kill; reap and close every fd.
        Returns (wait status or None if it could not be learnt, CPU seconds); with
        ``need_status=False`` (a complete reply is in hand) it kills without waiting."""
        ...


# --- the fresh-interpreter path ------------------------------------------------------


def _child_sys_path() -> list[str]:
    # Children run with -S (no site, no .pth processing); hand them exactly the
    # directories that hold the modules they need.
    dirs: list[str] = []
    for module in ("numpy", "pandas", "RestrictedPython", "dateutil", "vt_sandbox", "vt_engine"):
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            parent = os.path.dirname(os.path.abspath(location))
            if parent not in dirs:
                dirs.append(parent)
    return dirs


_SYS_PATH: list[str] | None = None


def _interpreter(boot: str) -> list[str]:
    global _SYS_PATH
    if _SYS_PATH is None:
        _SYS_PATH = _child_sys_path()
    cmd = [sys.executable, "-I", "-S", "-B"]
    prefix = bytecode.pycache_prefix(_SYS_PATH)
    if prefix:
        cmd += ["-X", f"pycache_prefix={prefix}"]
    return [*cmd, "-c", boot, json.dumps(_SYS_PATH)]


def fresh_command() -> list[str]:
    return _interpreter(_CHILD_BOOT)


class FreshChild:
    """A fresh ``python -I -S -B`` per run (own session; the whole group is killed)."""

    def __init__(self, workdir: str) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv: our interpreter + bootstrap
            fresh_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(CHILD_ENV),
            cwd=workdir,
            close_fds=True,
            start_new_session=True,  # own process group: one killpg reaches everything
        )
        assert self.proc.stdin
        assert self.proc.stdout
        assert self.proc.stderr
        self.stdin = self.proc.stdin.fileno()
        self.stdout = self.proc.stdout.fileno()
        self.stderr = self.proc.stderr.fileno()
        self.lost = False

    def close_stdin(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()

    def finish(self, grace: float, *, need_status: bool = True) -> tuple[int | None, float]:
        # A fresh interpreter is reaped in any case (it is our child); need_status is moot.
        proc = self.proc
        # Wait (without reaping) briefly for a normal exit; then kill the whole group
        # while the leader is still unreaped, so its pgid cannot have been recycled.
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                break
            if info is not None:
                break
            time.sleep(0.002)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except ChildProcessError:
            # Someone else (e.g. a reap-all SIGCHLD handler) collected it first.
            proc.returncode = -signal.SIGKILL
            return None, 0.0
        proc.returncode = os.waitstatus_to_exitcode(status)
        return status, usage.ru_utime + usage.ru_stime


# --- the zygote path -------------------------------------------------------------------


class ZygoteBroken(Exception):
    """The zygote did not answer a fork request; it is killed and restarted."""


_PREFILL_MAX = 1 << 20  # the default pipe-max-size; larger inputs are pumped as they drain


def _prefill(fd: int, payload: bytes) -> bool:
    """Write the whole payload into a pipe grown to hold it; False if it cannot hold it."""
    if len(payload) > _PREFILL_MAX:
        return False
    try:
        size = fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, len(payload))
    except OSError:
        return False  # over /proc/sys/fs/pipe-max-size: the runner pumps it instead
    if size < len(payload):
        return False
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]
    return True


class ZygoteChild:
    """A child forked by the zygote: killed through a pidfd, reaped by the zygote."""

    def __init__(self, stdin: int, stdout: int, stderr: int, status: socket.socket) -> None:
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.status = status
        self.pid = 0
        self.pidfd = -1
        #: The zygote never confirmed the fork (it died or broke): the run may be retried.
        self.lost = False

    def close_stdin(self) -> None:
        if self.stdin >= 0:
            os.close(self.stdin)
            self.stdin = -1

    def _await_pid(self) -> None:
        if self.pidfd >= 0 or self.lost:
            return
        try:
            self.status.settimeout(_SPAWN_TIMEOUT_S)
            msg, fds, _flags, _addr = socket.recv_fds(self.status, 64, 1)
        except OSError:
            msg, fds = b"", []
        if len(msg) != zygote.PID_MSG.size or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            self.lost = True
            return
        self.pid = zygote.PID_MSG.unpack(msg)[1]
        self.pidfd = fds[0]

    def kill(self) -> None:
        self._await_pid()
        if self.pidfd >= 0:
            # A pidfd names this process even after its pid is reused: no wrong target.
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def _exit_message(self, timeout: float) -> tuple[int | None, float] | None:
        """The zygote's report once the child has been reaped; None if not yet."""
        self.status.settimeout(timeout)
        try:
            msg = self.status.recv(64)
        except (TimeoutError, BlockingIOError):
            return None
        except OSError:
            return (None, 0.0)
        if len(msg) != zygote.EXIT_MSG.size:
            return (None, 0.0)  # the zygote died: status unknown
        _, status, cpu_s = zygote.EXIT_MSG.unpack(msg)
        return status, cpu_s

    def finish(self, grace: float, *, need_status: bool = True) -> tuple[int | None, float]:
        try:
            self._await_pid()
            if self.lost or not need_status:
                # A complete reply is in hand: the child is exiting; it is killed below and
                # the zygote reaps it without us waiting for that.
                return None, 0.0
            result = self._exit_message(grace) if grace > 0 else None
            if result is None:  # still running: kill it (only it) and wait for the reap
                self.kill()
                result = self._exit_message(_SPAWN_TIMEOUT_S)
            return result if result is not None else (None, 0.0)
        finally:
            # Also when the zygote died (nobody reaps or reports) or the reply came early: a
            # pidfd cannot hit another process, so this is safe after a normal exit as well.
            self.kill()
            self.close()

    def close(self) -> None:
        for fd in (self.stdin, self.stdout, self.stderr, self.pidfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.stdin = self.stdout = self.stderr = self.pidfd = -1
        self.status.close()


@dataclass
class Zygote:
    proc: subprocess.Popen[bytes]
    control: socket.socket
    lock: threading.Lock = field(default_factory=threading.Lock)
    forks: int = 0

    @classmethod
    def start(cls) -> Zygote:
        parent_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv: our interpreter + bootstrap
                [*_interpreter(_ZYGOTE_BOOT), str(zygote_end.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # no inherited log socket; failures come as FAIL
                env=dict(CHILD_ENV),
                cwd="/",
                pass_fds=(zygote_end.fileno(),),
                close_fds=True,
                start_new_session=True,
            )
        finally:
            zygote_end.close()
        self = cls(proc=proc, control=parent_end)
        try:
            parent_end.settimeout(_START_TIMEOUT_S)
            hello = parent_end.recv(256).decode("ascii", "replace").split()
            if len(hello) != 3 or hello[0] != zygote.READY.decode():
                raise OSError(f"zygote did not start ({' '.join(hello) or 'no answer'})")
            if hello[2] != "1":
                raise OSError(f"zygote has {hello[2]} threads; it must fork single-threaded")
            parent_end.settimeout(_SPAWN_TIMEOUT_S)
        except (OSError, ValueError):
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, workdir: str, payload: bytes = b"") -> ZygoteChild:
        """Ask for a child. When ``payload`` fits in the (enlarged) stdin pipe it is written
        before the request, so the child never waits for us; the pid/pidfd answer is read
        later (``finish``), off the critical path."""
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        status, status_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        wd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        child = ZygoteChild(in_w, out_r, err_r, status)
        try:
            if payload and _prefill(in_w, payload):
                child.close_stdin()
            with self.lock:
                socket.send_fds(
                    self.control, [zygote.REQUEST], [in_r, out_w, err_w, status_child.fileno(), wd]
                )
                self.forks += 1
        except OSError as exc:
            child.close()
            raise ZygoteBroken(f"fork request failed: {exc}") from None
        finally:
            for fd in (in_r, out_w, err_w, wd):
                os.close(fd)
            status_child.close()
        return child

    def retire(self) -> None:
        """No new children; it exits once the running ones are reaped (reaped by `poll`)."""
        with self.lock, contextlib.suppress(OSError):
            self.control.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired, ChildProcessError):
            self.proc.wait(timeout=5)


# --- choosing -------------------------------------------------------------------------


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    zygote: Zygote | None = None
    starts: int = 0
    failure: str | None = None
    failed_at: float = 0.0
    last_mode: str = "not started"
    isolation: dict[str, str] = field(default_factory=dict)
    retired: list[Zygote] = field(default_factory=list)
    replacing: bool = False


_state = _State()


def _forget_after_fork() -> None:
    # A forked copy of this process must not share our zygote: drop our copy of the
    # control socket (the zygote stays ours) and start a fresh one on first use.
    global _state
    old = _state
    _state = _State()
    for z in [old.zygote, *old.retired]:
        if z is not None:
            with contextlib.suppress(OSError):
                z.control.close()


os.register_at_fork(after_in_child=_forget_after_fork)


def mode_setting() -> str:
    value = os.environ.get("VT_SANDBOX_ZYGOTE", "auto").strip().lower() or "auto"
    if value not in _MODES:
        raise SandboxError(
            "sandbox_failure", f"VT_SANDBOX_ZYGOTE must be one of {', '.join(_MODES)}"
        )
    return value


def _zygote(state: _State, mode: str) -> Zygote | None:
    """The running zygote, started or restarted as needed; None if it cannot start."""
    with state.lock:
        state.retired = [r for r in state.retired if r.alive()]  # reaps the finished ones
        z = state.zygote
        if z is not None and z.alive():
            return z
        if z is not None:  # it died: restart it
            z.stop()
            state.zygote = None
        if mode == "auto" and state.failure and time.monotonic() - state.failed_at < _RETRY_AFTER_S:
            return None
        try:
            state.zygote = Zygote.start()
        except OSError as exc:
            state.failure = str(exc)
            state.failed_at = time.monotonic()
            return None
        state.starts += 1
        state.failure = None
        return state.zygote


def _retire(state: _State, z: Zygote) -> None:
    with state.lock:
        if state.zygote is z:
            state.zygote = None
    z.stop()


def _replace(state: _State, old: Zygote) -> None:
    """Start a successor in the background, swap it in, retire the old one."""
    try:
        new = Zygote.start()
    except OSError:
        new = None
    with state.lock:
        state.replacing = False
        if new is None:
            return  # keep the old one; the next threshold crossing tries again
        if state.zygote is not old:
            new.stop()
            return
        state.zygote = new
        state.starts += 1
        state.retired.append(old)
    old.retire()


def _maybe_recycle(state: _State, z: Zygote) -> None:
    if z.forks % RECYCLE_AFTER_FORKS != 0:
        return
    with state.lock:
        if state.replacing or state.zygote is not z:
            return
        state.replacing = True
    threading.Thread(
        target=_replace, args=(state, z), name="vt-sandbox-zygote", daemon=True
    ).start()


def start_child(workdir: str, payload: bytes, *, fresh: bool = False) -> tuple[Child, str]:
    """A new child for one run and the mode that made it (``zygote`` or ``fresh``). A zygote
    child may already have ``payload`` on its stdin (then its ``stdin`` is -1)."""
    mode = "off" if fresh else mode_setting()
    state = _state
    if mode != "off":
        for _attempt in range(2):  # a zygote that broke mid-request is restarted once
            z = _zygote(state, mode)
            if z is None:
                break
            try:
                child = z.spawn(workdir, payload)
            except ZygoteBroken as exc:
                with state.lock:
                    current = state.zygote is z
                if current:  # else it was just retired by a recycle: simply use the new one
                    state.failure = str(exc)
                    _retire(state, z)
                continue
            state.last_mode = "zygote"
            _maybe_recycle(state, z)
            return child, "zygote"
        if mode == "required":
            raise SandboxError(
                "sandbox_failure",
                f"the sandbox zygote is required but unavailable: {state.failure}",
            )
    state.last_mode = "fresh"
    return FreshChild(workdir), "fresh"


def record_isolation(isolation: dict[str, str]) -> None:
    _state.isolation = dict(isolation)


def status() -> dict[str, object]:
    """How sandboxed runs are made here: mode, zygote, last isolation report."""
    state = _state
    try:
        setting = mode_setting()
    except SandboxError as exc:
        setting = "invalid"
        state.failure = exc.message
    z = state.zygote
    running = z is not None and z.alive()
    if setting == "invalid":
        mode = f"unavailable ({state.failure})"
    elif setting == "off":
        mode = "fresh (VT_SANDBOX_ZYGOTE=off)"
    elif running:
        mode = "zygote"
    elif state.failure:
        mode = f"fresh (zygote unavailable: {state.failure})"
    else:
        mode = state.last_mode
    return {
        "mode": mode,
        "setting": setting,
        "zygote_pid": z.pid if running and z is not None else None,
        "zygote_starts": state.starts,
        "zygote_forks": z.forks if z is not None else 0,
        "isolation": dict(state.isolation),
    }


def zygote_pid() -> int | None:
    """The running zygote's pid (tests use it to prove crash recovery)."""
    z = _state.zygote
    return z.pid if z is not None and z.alive() else None


def shutdown() -> None:
    """Stop the zygote (tests; process exit stops it anyway: its control socket closes)."""
    state = _state
    with state.lock:
        z, state.zygote = state.zygote, None
        retired, state.retired = state.retired, []
    for old in [z, *retired]:
        if old is not None:
            old.stop()
