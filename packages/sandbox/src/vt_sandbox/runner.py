"""Parent side: validate inputs, spawn one fresh child per run, police its I/O."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from vt_sandbox import bytecode, protocol
from vt_sandbox.errors import SandboxError, SandboxViolation
from vt_sandbox.limits import SandboxLimits
from vt_sandbox.policy import check_code, imports_indicators
from vt_sandbox.signals import StrategySignals

if TYPE_CHECKING:  # imported lazily: the sandbox child imports this package too
    import numpy as np
    import pandas as pd

_BOOT = (
    "import sys,json;sys.path[0:0]=json.loads(sys.argv[1]);from vt_sandbox.child import main;main()"
)
# The child environment is empty except for thread caps: BLAS/OpenMP pools would
# otherwise spawn threads (and reserve address space) per core.
_CHILD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "LC_ALL": "C.UTF-8",
}
_STDERR_CAP = 64 * 1024
_READ_CHUNK = 1 << 16


def run_strategy(
    source: str,
    data: pd.DataFrame,
    params: dict[str, Any] | None = None,
    limits: SandboxLimits | None = None,
) -> StrategySignals:
    """Run ``generate_signals(data, params)`` from untrusted ``source`` in a fresh sandbox.

    Synchronous and thread-safe. Raises :class:`SandboxError` with a stable ``code``.
    """
    return _run(source, data, params, limits or SandboxLimits())


def probe_lookahead(
    source: str,
    data: pd.DataFrame,
    full: StrategySignals,
    params: dict[str, Any] | None = None,
    limits: SandboxLimits | None = None,
    *,
    max_prefixes: int = 6,
) -> list[int]:
    """Refuse a strategy whose past signals change when the future is cut off.

    ``full`` is the strategy's output on the whole of ``data``. In ONE extra sandboxed call the
    strategy runs on a few prefixes of the data, ending on bars where it signalled (the bars a
    look-ahead most likely decided with the future) and at the middle and three quarters of the
    history; each prefix's signals must equal the full run's over the same bars. Returns the
    prefix lengths checked; raises ``SandboxError("look_ahead")`` naming the first bar whose
    signal changed (``.bar`` holds its timestamp)."""
    import numpy as np

    limits = limits or SandboxLimits()
    n = len(data)
    prefixes = _choose_prefixes(full, n, max_prefixes)
    if not prefixes:
        return []
    # the prefixes hold `work` times the bars of the full run: so much more time, not more memory
    work = max(1.0, sum(prefixes) / max(n, 1))
    probe_limits = replace(
        limits, cpu_seconds=limits.cpu_seconds * work, wall_seconds=limits.wall_seconds * work
    )
    try:
        probed = _run(source, data, params, probe_limits, _prefixes=prefixes)
    except SandboxError as exc:
        if exc.code not in ("runtime_error", "bad_output", "cpu_limit", "timeout"):
            raise
        raise SandboxError(
            exc.code,
            f"while checking for look-ahead, the strategy failed on the first {prefixes[0]:,} "
            f"to {prefixes[-1]:,} of {n:,} bars (a strategy must run on any part of its "
            f"history that starts at its first bar): {exc.message}",
            exc.violations,
        ) from None
    full_arrays = _named(full, n)
    probe_arrays = _named(probed, sum(prefixes))
    first: tuple[int, str, bool, int] | None = None  # (bar, signal, full value, prefix length)
    offset = 0
    for p in prefixes:
        for name, whole in full_arrays.items():
            part = probe_arrays[name][offset : offset + p]
            diff = np.flatnonzero(whole[:p] != part)
            if diff.size and (first is None or int(diff[0]) < first[0]):
                i = int(diff[0])
                first = (i, name, bool(whole[i]), p)
        offset += p
    if first is not None:
        i, name, was, p = first
        bar = data.index[i]
        raise SandboxError(
            "look_ahead",
            f"the strategy looks ahead: {name} on {bar.isoformat()} (bar {i + 1} of {n}) is "
            f"{was} with the whole history but {not was} when the data ends on "
            f"{data.index[p - 1].isoformat()}. A decision may only use bars up to the one it is "
            "made on; shift(-1), centred rolling windows, bfill and statistics of the whole "
            "series read the future.",
            bar=bar,
        )
    return prefixes


def _choose_prefixes(full: StrategySignals, n: int, k: int) -> list[int]:
    import numpy as np

    floor = min(n, max(10, n // 10))  # a causal strategy must run on a tenth of its history
    fired = np.zeros(n, dtype=bool)
    for arr in _named(full, n).values():
        fired |= arr
    bars = np.flatnonzero(fired[floor - 1 : n - 1]) + floor - 1  # the last bar is the full run
    picks: set[int] = set()
    if bars.size:
        take = np.unique(np.linspace(0, bars.size - 1, num=min(k, bars.size)).round().astype(int))
        picks.update(int(bars[j]) + 1 for j in take)
    picks.update(p for p in (n // 2, (3 * n) // 4) if floor <= p < n)
    return sorted(picks)


def _named(signals: StrategySignals, n: int) -> dict[str, Any]:
    import numpy as np

    out = {"entries": signals.entries, "exits": signals.exits}
    for name in ("short_entries", "short_exits"):
        arr = getattr(signals, name)
        out[name] = arr if arr is not None else np.zeros(n, dtype=bool)
    return {k: np.asarray(v, dtype=bool) for k, v in out.items()}


def _run(
    source: str,
    data: pd.DataFrame,
    params: dict[str, Any] | None,
    limits: SandboxLimits,
    *,
    _static_policy: bool = True,
    _mode: str = "restricted",
    _prefixes: list[int] | None = None,
) -> StrategySignals:
    # _static_policy / _mode are test-only hooks (see tests/test_runtime_layers.py):
    # they switch off in-process layers to prove the remaining ones hold on their own.
    if not isinstance(source, str):
        raise SandboxError("bad_input", "source must be a str")
    if len(source.encode("utf-8", "surrogatepass")) > limits.max_source_bytes:
        raise SandboxError(
            "policy_violation",
            f"the strategy source is larger than {limits.max_source_bytes:,} bytes",
        )
    if _static_policy:
        report = check_code(source)
        if not report.ok:
            raise SandboxError(
                "policy_violation",
                "the strategy uses things the sandbox does not allow:\n" + report.summary(),
                report.violations,
            )
    index_ns, columns = _encode_data(data, limits)
    params_json = _check_params(params, limits)
    header = {
        "source": source,
        "params": json.loads(params_json),
        "n": len(index_ns),
        "tz": True,
        "mode": _mode,
        "static_policy": _static_policy,
        "with_indicators": imports_indicators(source),
        "limits": asdict(limits),
    }
    rows = len(index_ns)
    if _prefixes:
        header["prefixes"] = [int(p) for p in _prefixes]
        rows = sum(header["prefixes"])
    payload = protocol.encode_input(header, index_ns, columns)
    started = time.perf_counter()
    blob, status, cpu_s, timed_out, stderr = _spawn(payload, limits, rows)
    elapsed = time.perf_counter() - started
    return _interpret(blob, status, cpu_s, timed_out, stderr, limits, rows, elapsed)


def _encode_data(
    data: pd.DataFrame, limits: SandboxLimits
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], dict[str, np.ndarray[Any, Any]]]:
    import numpy as np
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise SandboxError("bad_input", "data must be a pandas DataFrame")
    if not isinstance(data.index, pd.DatetimeIndex):
        raise SandboxError("bad_input", "data must have a DatetimeIndex")
    missing = [c for c in protocol.OHLCV if c not in data.columns]
    if missing:
        raise SandboxError("bad_input", f"data is missing column(s): {', '.join(missing)}")
    if len(data) > limits.max_rows:
        raise SandboxError("bad_input", f"data has {len(data):,} rows; limit {limits.max_rows:,}")
    index = data.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    index_ns = index.as_unit("ns").asi8.astype(np.int64)
    try:
        columns = {c: data[c].to_numpy(dtype=np.float64) for c in protocol.OHLCV}
    except (TypeError, ValueError) as exc:
        raise SandboxError("bad_input", f"OHLCV columns must be numeric: {exc}") from None
    return index_ns, columns


def _check_params(params: dict[str, Any] | None, limits: SandboxLimits) -> str:
    if params is None:
        return "{}"
    if not isinstance(params, dict):
        raise SandboxError("bad_input", "params must be a dict")
    try:
        text = json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SandboxError("bad_input", f"params must be JSON-serialisable: {exc}") from None
    if len(text) > limits.max_params_bytes:
        raise SandboxError("bad_input", "params are too large")
    return text


def _child_sys_path() -> list[str]:
    # The child runs with -S (no site, no .pth processing); hand it exactly the
    # directories that hold the modules it needs.
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


def _command() -> list[str]:
    global _SYS_PATH
    if _SYS_PATH is None:
        _SYS_PATH = _child_sys_path()
    cmd = [sys.executable, "-I", "-S", "-B"]
    prefix = bytecode.pycache_prefix(_SYS_PATH)
    if prefix:
        cmd += ["-X", f"pycache_prefix={prefix}"]
    return [*cmd, "-c", _BOOT, json.dumps(_SYS_PATH)]


def _spawn(
    payload: bytes, limits: SandboxLimits, n_rows: int
) -> tuple[bytes, int, float, bool, bytes]:
    """Run the child; returns (stdout, wait status, cpu seconds, timed out, stderr)."""
    workdir = tempfile.mkdtemp(prefix="vt-sandbox-")
    try:
        os.chmod(workdir, 0o700)
        proc = subprocess.Popen(  # noqa: S603 - fixed argv: our interpreter + bootstrap
            _command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(_CHILD_ENV),
            cwd=workdir,
            close_fds=True,
            start_new_session=True,  # own process group: one killpg reaches everything
        )
        out, err, timed_out, too_large = b"", b"", False, False
        try:
            out, err, timed_out, too_large = _pump(proc, payload, limits, n_rows)
        finally:
            # No grace period when we already know the child must die.
            grace = 0.0 if (timed_out or too_large) else 2.0
            status, cpu_s = _kill_and_reap(proc, grace)
        if too_large:
            raise SandboxError(
                "output_too_large",
                "the sandboxed process wrote more output than allowed "
                f"(stdout cap {protocol.max_output_bytes(n_rows):,} bytes, "
                f"stderr cap {_STDERR_CAP:,})",
            )
        return out, status, cpu_s, timed_out, err
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _pump(
    proc: subprocess.Popen[bytes], payload: bytes, limits: SandboxLimits, n_rows: int
) -> tuple[bytes, bytes, bool, bool]:
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    deadline = time.monotonic() + limits.wall_seconds
    caps = {
        proc.stdout.fileno(): protocol.max_output_bytes(n_rows),
        proc.stderr.fileno(): _STDERR_CAP,
    }
    bufs: dict[int, list[bytes]] = {fd: [] for fd in caps}
    sizes = dict.fromkeys(caps, 0)
    view = memoryview(payload)
    with selectors.DefaultSelector() as sel:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
        for fd in caps:
            sel.register(fd, selectors.EVENT_READ)
        stdin_open = True
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _joined(bufs, proc), b"".join(bufs[proc.stderr.fileno()]), True, False
            for key, _ in sel.select(timeout=min(remaining, 1.0)):
                fd = int(key.fd)
                if stdin_open and fd == proc.stdin.fileno():
                    try:
                        sent = os.write(fd, view[:_READ_CHUNK])
                        view = view[sent:]
                    except BrokenPipeError:
                        view = view[:0]
                    if not view:
                        sel.unregister(fd)
                        proc.stdin.close()
                        stdin_open = False
                    continue
                chunk = os.read(fd, _READ_CHUNK)
                if not chunk:
                    sel.unregister(fd)
                    continue
                sizes[fd] += len(chunk)
                if sizes[fd] > caps[fd]:
                    return b"", b"", False, True
                bufs[fd].append(chunk)
    return _joined(bufs, proc), b"".join(bufs[proc.stderr.fileno()]), False, False


def _joined(bufs: dict[int, list[bytes]], proc: subprocess.Popen[bytes]) -> bytes:
    assert proc.stdout
    return b"".join(bufs[proc.stdout.fileno()])


def _kill_and_reap(proc: subprocess.Popen[bytes], grace: float) -> tuple[int, float]:
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
        return 0, 0.0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage.ru_utime + usage.ru_stime


def _interpret(
    blob: bytes,
    status: int,
    cpu_s: float,
    timed_out: bool,
    stderr: bytes,
    limits: SandboxLimits,
    n_rows: int,
    elapsed: float,
) -> StrategySignals:
    if blob:
        try:
            result = protocol.decode_output(blob, n_rows)
        except protocol.FrameError as exc:
            raise SandboxError("sandbox_failure", f"invalid reply from sandbox: {exc}") from None
        return _signals_from(result, elapsed)
    if timed_out:
        raise SandboxError(
            "timeout",
            f"the strategy did not finish within {limits.wall_seconds:g} s of wall-clock time; "
            "look for endless loops or very slow per-bar Python code",
        )
    sig = -os.waitstatus_to_exitcode(status) if os.WIFSIGNALED(status) else 0
    cpu_budget = math.ceil(limits.cpu_seconds)
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_s >= cpu_budget):
        raise SandboxError(
            "cpu_limit",
            f"the strategy used more than {limits.cpu_seconds:g} s of CPU time; "
            "vectorise loops with pandas/numpy or reduce the work per bar",
        )
    tail = stderr[-2000:].decode("utf-8", "replace")
    if "MemoryError" in tail or "bad_alloc" in tail:
        raise SandboxError(
            "memory_limit", f"the strategy exceeded the {limits.memory_mb} MiB memory limit"
        )
    what = (
        f"signal {signal.Signals(sig).name}"
        if sig
        else f"exit code {os.waitstatus_to_exitcode(status)}"
    )
    raise SandboxError(
        "runtime_error",
        f"the sandboxed process died ({what}) without producing a result",
    )


def _signals_from(result: protocol.ChildOutput, elapsed: float) -> StrategySignals:
    head = result.header
    if head.get("status") != "ok":
        code = head.get("code")
        message = head.get("message")
        if not isinstance(code, str) or code not in _CHILD_CODES:
            code = "sandbox_failure"
        if not isinstance(message, str):
            message = "the sandbox reported an error without a message"
        violations = []
        line = head.get("line")
        if code == "policy_violation" and isinstance(line, int) and not isinstance(line, bool):
            # A refusal by the runtime guards: surface it like a static finding.
            violations.append(SandboxViolation(line, 0, "runtime_guard", message))
        raise SandboxError(code, message, violations)
    arrays = result.arrays
    for required in ("entries", "exits"):
        if required not in arrays:
            raise SandboxError("bad_output", f"the strategy did not return {required}")
    stdout = head.get("stdout", "")
    if not isinstance(stdout, str):
        stdout = ""
    isolation = head.get("hardening", {})
    if not isinstance(isolation, dict):
        isolation = {}
    return StrategySignals(
        entries=arrays["entries"],
        exits=arrays["exits"],
        short_entries=arrays.get("short_entries"),
        short_exits=arrays.get("short_exits"),
        stdout=stdout,
        elapsed_s=elapsed,
        isolation={str(k): str(v) for k, v in isolation.items()},
    )


_CHILD_CODES = frozenset(
    {
        "policy_violation",
        "bad_output",
        "runtime_error",
        "memory_limit",
        "output_too_large",
        "sandbox_failure",
        "cpu_limit",
    }
)
