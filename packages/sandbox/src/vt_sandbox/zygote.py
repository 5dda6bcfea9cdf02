"""The zygote: a pre-loaded, secret-free, single-threaded process that forks one child per run.

Started by the parent (``launcher.py``) as ``python -I -S -B -c <boot> <sys.path> <fd>``
with the same empty environment as a fresh child, in its own session, with nothing open
but stdin/stdout (``/dev/null``), stderr (the parent's log) and one ``AF_UNIX``
``SOCK_SEQPACKET`` control socket to its parent. It imports numpy, pandas,
RestrictedPython, the guards and the indicator library, exercises them once on synthetic
data (trusted code only), freezes the heap for the GC and reports ``READY``.

Each request is one message on the control socket carrying five descriptors (SCM_RIGHTS):
the run's stdin/stdout/stderr pipe ends, a private status socket and the run's working
directory. The zygote forks; the child closes everything else, moves into its own session
and the working directory and enters :func:`vt_sandbox.child.main`, which applies every
isolation layer before the untrusted code runs (exactly as a fresh interpreter would).
The zygote answers on the status socket with the child's pid and a pidfd (so the parent can
kill that one child without any pid-reuse race), reaps the child and sends its wait status
and CPU time. A child is never reused; the zygote itself never runs untrusted code.
"""

from __future__ import annotations

import contextlib
import gc
import os
import selectors
import signal
import socket
import struct
import sys

READY = b"READY"
REQUEST = b"F"
PID_MSG = struct.Struct("<ci")  # b"P", pid
EXIT_MSG = struct.Struct("<cid")  # b"X", wait status, CPU seconds (user + system)
N_FDS = 5  # stdin, stdout, stderr, status socket, working directory
_PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int) -> None:
    """SIGKILL when the parent goes away; exit now if it already has."""
    from vt_sandbox.isolation import _libc

    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != expected_parent:
        os._exit(1)


def thread_count() -> int:
    """OS threads of this process (numpy/OpenBLAS pools included, not only Python's)."""
    return len(os.listdir("/proc/self/task"))


_WARM_STRATEGY = """
import math
import numpy as np
import pandas as pd
from vt_engine import indicators as ind


def generate_signals(data, params):
    close = data.close
    fast = close.rolling(params["fast"]).mean()
    slow = close.ewm(span=20, adjust=False).mean()
    delta = close.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
    r = 100 - 100 / (1 + gain / loss)
    vol = close.pct_change().rolling(10).std() * math.sqrt(252)
    band = data["high"].rolling(5).max() - data["low"].rolling(5).min()
    up = ind.sma(close, 5) > ind.ema(close, 10)
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1)) & (r < 70) | up
    exits = ((fast < slow) & (fast.shift(1) >= slow.shift(1))) | (r > 80) | (vol > band)
    print("warm", len(data), np.nanmean(close.to_numpy()))
    return {"entries": entries.fillna(False), "exits": exits.fillna(False).to_numpy()}
"""


def _warm_up() -> None:
    """Run the whole child pipeline once on a trusted strategy and synthetic data, minus the
    hardening: pandas imports much lazily on first use (rolling, ewm, comparisons) and the
    guards have paths of their own; pay that once here instead of in every child."""
    from dataclasses import asdict

    import numpy as np

    from vt_sandbox import child, protocol
    from vt_sandbox.limits import SandboxLimits

    n = 300
    index_ns = (np.arange(n, dtype=np.int64) + 18_000) * 86_400 * 10**9
    close = 100.0 + np.sin(np.arange(n) / 9.0)
    columns = {"open": close, "high": close + 1, "low": close - 1, "close": close}
    columns["volume"] = np.ones(n)
    header = {
        "source": _WARM_STRATEGY,
        "calls": [{"data": 0, "params": {"fast": 5}}],
        "mode": "restricted",
        "static_policy": True,
        "with_indicators": True,
        "limits": asdict(SandboxLimits()),
    }
    blob = protocol.encode_input_many(header, [(index_ns, columns)])
    reply = child._run(blob, 0.0, harden=False)
    head, results = protocol.decode_batch_output(reply, [n])
    if head.get("status") != "ok" or len(results) != 1:
        raise RuntimeError(f"zygote warm-up failed: {head}")


def prepare() -> None:
    """Everything a child would import, loaded once (trusted, before any request)."""
    from vt_sandbox import child, isolation, limits

    gc.disable()
    limits.apply_early_limits()
    child.block_optional_accelerators()
    isolation.preload()
    _warm_up()
    gc.collect()
    gc.freeze()  # children do not touch these pages for GC bookkeeping (copy-on-write)


def _fork_child(fds: list[int], zygote_pid: int) -> int:
    stdin_r, stdout_w, stderr_w, _status, workdir = fds
    pid = os.fork()
    if pid:
        return pid
    # The child: nothing here may raise into the zygote's loop.
    try:
        os.setsid()
        die_with_parent(zygote_pid)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.dup2(stdin_r, 0)
        os.dup2(stdout_w, 1)
        os.dup2(stderr_w, 2)
        os.fchdir(workdir)
        # The control socket, other runs' status sockets and pidfds, the selector: gone.
        os.closerange(3, 1 << 20)
        from vt_sandbox import child

        child.main()
    finally:
        os._exit(70)  # never return (or raise) into the zygote's loop


def serve(control: socket.socket) -> None:
    """Fork one child per request until the parent closes the control socket (it is gone, or
    it retired this zygote); then finish reaping the children still running and return."""
    zygote_pid = os.getpid()
    running: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, status socket)
    accepting = True
    with selectors.DefaultSelector() as sel:
        sel.register(control, selectors.EVENT_READ)
        while accepting or running:
            for key, _ in sel.select():
                if key.fileobj is control:
                    try:
                        msg, fds, _flags, _addr = socket.recv_fds(control, 16, N_FDS + 1)
                    except OSError:
                        msg, fds = b"", []
                    if not msg:
                        sel.unregister(control)  # drain: no new children
                        accepting = False
                        continue
                    if msg != REQUEST or len(fds) != N_FDS or thread_count() != 1:
                        for fd in fds:
                            os.close(fd)
                        if thread_count() != 1:
                            return  # never fork a multi-threaded process: let it restart us
                        continue
                    status = socket.socket(fileno=os.dup(fds[3]))
                    try:
                        pid = _fork_child(fds, zygote_pid)
                    finally:
                        for fd in fds:
                            os.close(fd)
                    pidfd = os.pidfd_open(pid)
                    # If the parent gave up on this run, still reap the child.
                    with contextlib.suppress(OSError):
                        socket.send_fds(status, [PID_MSG.pack(b"P", pid)], [pidfd])
                    running[pidfd] = (pid, status)
                    sel.register(pidfd, selectors.EVENT_READ)
                else:
                    pidfd = int(key.fd)
                    pid, status = running.pop(pidfd)
                    sel.unregister(pidfd)
                    os.close(pidfd)
                    _, wait_status, usage = os.wait4(pid, 0)
                    with contextlib.suppress(OSError):
                        status.send(
                            EXIT_MSG.pack(b"X", wait_status, usage.ru_utime + usage.ru_stime)
                        )
                    status.close()


def main() -> None:
    """Entry point in the zygote process (argv: sys.path json, control fd).

    No parent-death signal here: it fires when the parent *thread* that started us exits,
    and runs start us from worker threads. The zygote exits when the control socket reaches
    EOF instead, i.e. when the parent process is gone."""
    control = socket.socket(fileno=int(sys.argv[2]))
    try:
        prepare()
    except BaseException as exc:  # report instead of dying silently (stderr is /dev/null)
        with contextlib.suppress(OSError):
            control.send(f"FAIL {type(exc).__name__}: {exc}"[:200].encode("ascii", "replace"))
        raise
    threads = thread_count()
    try:
        os.close(os.pidfd_open(os.getpid()))  # the parent kills children through pidfds
    except (AttributeError, OSError) as exc:
        control.send(f"FAIL no pidfd support ({exc})".encode("ascii", "replace"))
        return
    control.send(READY + f" {os.getpid()} {threads}".encode("ascii"))
    if threads != 1:
        return
    serve(control)
