"""Parent side: validate inputs, start one fresh child per run, police its I/O.

The child is forked from the zygote (``launcher.py``; a fresh interpreter if the zygote
cannot start). A batch (:func:`run_strategy_batch`) runs every call in one child.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import selectors
import shutil
import signal
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from vt_sandbox import launcher, protocol
from vt_sandbox.errors import SandboxError, SandboxViolation
from vt_sandbox.limits import SandboxLimits
from vt_sandbox.policy import check_code, imports_indicators
from vt_sandbox.signals import StrategySignals

if TYPE_CHECKING:  # imported lazily: the sandbox child imports this package too
    import numpy as np
    import pandas as pd

_STDERR_CAP = 64 * 1024
_READ_CHUNK = 1 << 16
MAX_BATCH_CALLS = 10_000
# Kept for callers of the old module layout (tests resolve the bytecode cache through it).
_command = launcher.fresh_command


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


def run_strategy_batch(
    source: str,
    runs: Sequence[tuple[pd.DataFrame, dict[str, Any] | None]],
    limits: SandboxLimits | None = None,
) -> list[StrategySignals]:
    """Run ``generate_signals(data, params)`` once per ``(data, params)`` pair, all in ONE
    fresh sandboxed child (sweeps, walk-forward, several symbols).

    Each call gets fresh module globals and its own copy of its data; the same DataFrame
    object passed several times is sent once. ``limits`` is the budget of the whole child
    (CPU, wall clock, memory, printed output). Raises the first call's failure as a
    :class:`SandboxError` whose message names the call. Synchronous and thread-safe.
    """
    return _run_batch(source, runs, limits or SandboxLimits())


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

    ``full`` is the strategy's output on the whole of ``data``. In ONE extra sandboxed child
    the strategy runs on a few prefixes of the data, ending on bars where it signalled (the
    bars a look-ahead most likely decided with the future) and at the middle and three
    quarters of the history; each prefix's signals must equal the full run's over the same
    bars. Returns the prefix lengths checked; raises ``SandboxError("look_ahead")`` naming
    the first bar whose signal changed (``.bar`` holds its timestamp)."""
    return probe_lookahead_batch(
        source, [(data, params)], [full], limits, max_prefixes=max_prefixes
    )[0]


def probe_lookahead_batch(
    source: str,
    runs: Sequence[tuple[pd.DataFrame, dict[str, Any] | None]],
    fulls: Sequence[StrategySignals],
    limits: SandboxLimits | None = None,
    *,
    names: Sequence[str] | None = None,
    max_prefixes: int = 6,
) -> list[list[int]]:
    """:func:`probe_lookahead` for every ``(data, params)`` run of a batch (``fulls[i]`` is
    run i's output on its whole data), all prefixes of all runs in ONE extra sandboxed child.

    ``limits`` is the budget :func:`run_strategy_batch` had for the full runs; CPU and wall
    clock are scaled by the prefixes' share of that work. ``names`` label the runs in
    messages (e.g. the symbols; ``call i of n`` otherwise). Returns each run's prefix
    lengths; raises ``SandboxError("look_ahead")`` for the first run that looks ahead
    (``.call`` is its index)."""
    import numpy as np

    limits = limits or SandboxLimits()
    if len(fulls) != len(runs) or (names is not None and len(names) != len(runs)):
        raise SandboxError("bad_input", "runs, full signals and names must have one item each")
    chosen = [
        _choose_prefixes(full, len(data), max_prefixes)
        for (data, _), full in zip(runs, fulls, strict=True)
    ]
    plan = [(r, p) for r, prefixes in enumerate(chosen) for p in prefixes]
    if not plan:
        return chosen

    def label(r: int) -> str:
        if names is not None:
            return f"{names[r]}: "
        return f"call {r + 1} of {len(runs)}: " if len(runs) > 1 else ""

    # the prefixes hold `work` times the bars of the full runs: so much more time, not more
    # memory (each prefix is a transient copy of its run's data, which is sent once)
    full_rows = sum(len(data) for data, _ in runs)
    work = max(1.0, sum(p for _, p in plan) / max(full_rows, 1))
    probe_limits = replace(
        limits,
        cpu_seconds=limits.cpu_seconds * work,
        wall_seconds=limits.wall_seconds * work,
        max_rows=math.ceil(limits.max_rows * work),
    )
    try:
        probed = _run_batch(
            source,
            [runs[r] for r, _ in plan],
            probe_limits,
            _rows=[p for _, p in plan],
            _label_calls=False,
        )
    except SandboxError as exc:
        if exc.code not in ("runtime_error", "bad_output", "cpu_limit", "timeout"):
            raise
        if exc.call is not None and 0 <= exc.call < len(plan):
            r, p = plan[exc.call]
            where = f"the first {p:,} of {len(runs[r][0]):,} bars"
        else:
            r = None
            lengths = sorted(p for _, p in plan)
            where = f"the first {lengths[0]:,} to {lengths[-1]:,} bars of its data"
        raise SandboxError(
            exc.code,
            f"{label(r) if r is not None else ''}while checking for look-ahead, the strategy "
            f"failed on {where} (a strategy must run on any part of its history that starts "
            f"at its first bar): {exc.message}",
            exc.violations,
            call=r,
        ) from None
    for r, ((data, _), full) in enumerate(zip(runs, fulls, strict=True)):
        n = len(data)
        full_arrays = _named(full, n)
        first: tuple[int, str, bool, int] | None = None  # (bar, signal, full value, prefix)
        for (run, p), part in zip(plan, probed, strict=True):
            if run != r:
                continue
            part_arrays = _named(part, p)
            for name, whole in full_arrays.items():
                diff = np.flatnonzero(whole[:p] != part_arrays[name])
                if diff.size and (first is None or int(diff[0]) < first[0]):
                    i = int(diff[0])
                    first = (i, name, bool(whole[i]), p)
        if first is not None:
            i, name, was, p = first
            bar = data.index[i]
            raise SandboxError(
                "look_ahead",
                f"{label(r)}the strategy looks ahead: {name} on {bar.isoformat()} (bar {i + 1} "
                f"of {n}) is {was} with the whole history but {not was} when the data ends on "
                f"{data.index[p - 1].isoformat()}. A decision may only use bars up to the one "
                "it is made on; shift(-1), centred rolling windows, bfill and statistics of "
                "the whole series read the future.",
                bar=bar,
                call=r,
            )
    return chosen


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


def sandbox_status() -> dict[str, object]:
    """How runs are made in this process: ``mode`` (zygote or fresh, and why), the zygote's
    pid, and the isolation layers the last child reported (``{}`` before the first run)."""
    return launcher.status()


def _run(
    source: str,
    data: pd.DataFrame,
    params: dict[str, Any] | None,
    limits: SandboxLimits,
    *,
    _static_policy: bool = True,
    _mode: str = "restricted",
    _fresh: bool = False,
) -> StrategySignals:
    # _static_policy / _mode are test-only hooks (see tests/test_runtime_layers.py):
    # they switch off in-process layers to prove the remaining ones hold on their own.
    # _fresh forces the fresh-interpreter path (benchmarks and tests compare both).
    return _run_batch(
        source,
        [(data, params)],
        limits,
        _static_policy=_static_policy,
        _mode=_mode,
        _fresh=_fresh,
    )[0]


def _run_batch(
    source: str,
    runs: Sequence[tuple[pd.DataFrame, dict[str, Any] | None]],
    limits: SandboxLimits,
    *,
    _static_policy: bool = True,
    _mode: str = "restricted",
    _fresh: bool = False,
    _rows: Sequence[int] | None = None,
    _label_calls: bool = True,
) -> list[StrategySignals]:
    # _rows (the look-ahead probe): call i sees only the first _rows[i] bars of its data.
    # _label_calls=False leaves "call i of n: " off a failing call's message (the caller
    # names it from SandboxError.call).
    if not isinstance(source, str):
        raise SandboxError("bad_input", "source must be a str")
    if len(source.encode("utf-8", "surrogatepass")) > limits.max_source_bytes:
        raise SandboxError(
            "policy_violation",
            f"the strategy source is larger than {limits.max_source_bytes:,} bytes",
        )
    if not runs:
        return []
    if len(runs) > MAX_BATCH_CALLS:
        raise SandboxError("bad_input", f"a batch holds at most {MAX_BATCH_CALLS:,} calls")
    if _rows is not None and len(_rows) != len(runs):
        raise SandboxError("bad_input", "one prefix length per call")
    if _static_policy:
        _check_policy(source)
    datasets: list[protocol.Dataset] = []
    slot: dict[int, int] = {}  # id(frame) -> dataset index: one copy per distinct frame
    calls: list[dict[str, Any]] = []
    rows: list[int] = []
    total_rows = 0
    for number, (data, params) in enumerate(runs):
        if id(data) not in slot:
            slot[id(data)] = len(datasets)
            datasets.append(_encode_data(data, limits))
        index = slot[id(data)]
        n = len(datasets[index][0])
        call: dict[str, Any] = {"data": index, "params": json.loads(_check_params(params, limits))}
        if _rows is not None:
            prefix = int(_rows[number])
            if not 0 < prefix <= n:
                raise SandboxError("bad_input", f"prefix of {prefix:,} bars of {n:,}")
            call["rows"] = n = prefix
        total_rows += n
        if total_rows > limits.max_rows:
            raise SandboxError(
                "bad_input", f"the batch has more than {limits.max_rows:,} rows in total"
            )
        calls.append(call)
        rows.append(n)
    header = {
        "source": source,
        "calls": calls,
        "mode": _mode,
        "static_policy": _static_policy,
        "with_indicators": imports_indicators(source),
        "limits": asdict(limits),
    }
    payload = protocol.encode_input_many(header, datasets)
    started = time.perf_counter()
    blob, status, cpu_s, timed_out, stderr = _spawn(payload, limits, total_rows, _fresh)
    elapsed = time.perf_counter() - started
    return _interpret(
        blob, status, cpu_s, timed_out, stderr, limits, rows, elapsed, label_calls=_label_calls
    )


_PASSED: OrderedDict[bytes, None] = OrderedDict()  # digests of sources that passed
_PASSED_MAX = 1024
_passed_lock = threading.Lock()


def _check_policy(source: str) -> None:
    """The static check, remembered for sources that passed (a strategy is usually run many
    times: backtests, sweeps, every bar of a paper deployment). The child checks again."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).digest()
    with _passed_lock:
        if digest in _PASSED:
            _PASSED.move_to_end(digest)
            return
    report = check_code(source)
    if not report.ok:
        raise SandboxError(
            "policy_violation",
            "the strategy uses things the sandbox does not allow:\n" + report.summary(),
            report.violations,
        )
    with _passed_lock:
        _PASSED[digest] = None
        while len(_PASSED) > _PASSED_MAX:
            _PASSED.popitem(last=False)


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


def _spawn(
    payload: bytes, limits: SandboxLimits, n_rows: int, fresh: bool
) -> tuple[bytes, int | None, float, bool, bytes]:
    """Run one child; returns (stdout, wait status or None, cpu seconds, timed out, stderr)."""
    workdir = tempfile.mkdtemp(prefix="vt-sandbox-")
    try:
        os.chmod(workdir, 0o700)
        for attempt in range(2):
            child, _how = launcher.start_child(workdir, payload, fresh=fresh)
            out, err, timed_out, too_large = b"", b"", False, False
            try:
                out, err, timed_out, too_large = _pump(child, payload, limits, n_rows)
            finally:
                # No grace period when we already know the child must die; no waiting for
                # the exit status when the reply is in hand (only a failure needs it).
                grace = 0.0 if (timed_out or too_large) else 2.0
                status, cpu_s = child.finish(grace, need_status=not out or timed_out)
            if child.lost and not out and attempt == 0:
                continue  # the zygote died before forking: once more, on a new one
            break
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
    child: launcher.Child, payload: bytes, limits: SandboxLimits, n_rows: int
) -> tuple[bytes, bytes, bool, bool]:
    deadline = time.monotonic() + limits.wall_seconds
    caps = {child.stdout: protocol.max_output_bytes(n_rows), child.stderr: _STDERR_CAP}
    bufs: dict[int, list[bytes]] = {fd: [] for fd in caps}
    sizes = dict.fromkeys(caps, 0)
    view = memoryview(payload)

    def joined(fd: int) -> bytes:
        return b"".join(bufs[fd])

    with selectors.DefaultSelector() as sel:
        stdin_open = child.stdin >= 0  # else the payload is already in the pipe
        if stdin_open:
            os.set_blocking(child.stdin, False)
            sel.register(child.stdin, selectors.EVENT_WRITE)
        for fd in caps:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return joined(child.stdout), joined(child.stderr), True, False
            for key, _ in sel.select(timeout=min(remaining, 1.0)):
                fd = int(key.fd)
                if stdin_open and fd == child.stdin:
                    try:
                        sent = os.write(fd, view[:_READ_CHUNK])
                        view = view[sent:]
                    except BrokenPipeError:
                        view = view[:0]
                    if not view:
                        sel.unregister(fd)
                        child.close_stdin()
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
    return joined(child.stdout), joined(child.stderr), False, False


def _interpret(
    blob: bytes,
    status: int | None,
    cpu_s: float,
    timed_out: bool,
    stderr: bytes,
    limits: SandboxLimits,
    rows: list[int],
    elapsed: float,
    *,
    label_calls: bool = True,
) -> list[StrategySignals]:
    if blob:
        try:
            header, results = protocol.decode_batch_output(blob, rows)
        except protocol.FrameError as exc:
            raise SandboxError("sandbox_failure", f"invalid reply from sandbox: {exc}") from None
        if header.get("status") != "ok":
            raise _child_error(header, len(rows), label_calls=label_calls)
        isolation = header.get("hardening", {})
        if not isinstance(isolation, dict):
            isolation = {}
        layers = {str(k): str(v) for k, v in isolation.items()}
        launcher.record_isolation(layers)
        return [_signals_from(result, elapsed, layers) for result in results]
    if timed_out:
        raise SandboxError(
            "timeout",
            f"the strategy did not finish within {limits.wall_seconds:g} s of wall-clock time; "
            "look for endless loops or very slow per-bar Python code",
        )
    if status is None:
        raise SandboxError(
            "sandbox_failure",
            "the sandbox lost track of the process (its zygote died?) before it answered",
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


def _child_error(head: dict[str, Any], n_calls: int, *, label_calls: bool = True) -> SandboxError:
    code = head.get("code")
    message = head.get("message")
    if not isinstance(code, str) or code not in _CHILD_CODES:
        code = "sandbox_failure"
    if not isinstance(message, str):
        message = "the sandbox reported an error without a message"
    call = head.get("call")
    if not isinstance(call, int) or isinstance(call, bool) or not 0 <= call < n_calls:
        call = None
    if label_calls and n_calls > 1 and call is not None:
        message = f"call {call + 1} of {n_calls}: {message}"
    violations = []
    line = head.get("line")
    if code == "policy_violation" and isinstance(line, int) and not isinstance(line, bool):
        # A refusal by the runtime guards: surface it like a static finding.
        violations.append(SandboxViolation(line, 0, "runtime_guard", message))
    return SandboxError(code, message, violations, call=call)


def _signals_from(
    result: protocol.ChildOutput, elapsed: float, isolation: dict[str, str]
) -> StrategySignals:
    arrays = result.arrays
    for required in ("entries", "exits"):
        if required not in arrays:
            raise SandboxError("bad_output", f"the strategy did not return {required}")
    stdout = result.header.get("stdout", "")
    if not isinstance(stdout, str):
        stdout = ""
    return StrategySignals(
        entries=arrays["entries"],
        exits=arrays["exits"],
        short_entries=arrays.get("short_entries"),
        short_exits=arrays.get("short_exits"),
        stdout=stdout,
        elapsed_s=elapsed,
        isolation=isolation,
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
