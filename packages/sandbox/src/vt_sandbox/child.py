"""Child bootstrap: one process per sandboxed run, forked from the zygote or a fresh
``python -I -S -B`` interpreter (the fallback); the sequence is the same either way.

Sequence: read the whole input frame from stdin -> check and compile the strategy -> import
the trusted modules (already loaded when forked from the zygote) -> harden the process
(netns, privilege drop, rlimits, Landlock, seccomp) -> execute once per call of the batch,
each on fresh globals and a fresh copy of its data (or of its first ``rows`` bars: the
look-ahead probe) -> validate the outputs -> write one
result frame to stdout -> ``os._exit``. Nothing from the strategy is trusted after it has
run; the parent re-validates.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import traceback
from typing import Any

from vt_sandbox import limits as limits_mod
from vt_sandbox import protocol
from vt_sandbox.protocol import SIGNAL_NAMES

FILENAME = "<strategy>"
MAX_MESSAGE = 2000
# Optional accelerators that pandas would import if present: keep them out of the
# child entirely (numexpr evaluates strings; all of them cost import time).
_BLOCKED_OPTIONAL = frozenset({"numexpr", "bottleneck", "pyarrow", "matplotlib"})


class _OptionalBlocker:
    """Meta-path finder that makes optional accelerators look uninstalled."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in _BLOCKED_OPTIONAL:
            raise ImportError(f"{name} is disabled in the sandbox")


def block_optional_accelerators() -> None:
    """Install the blocker once (the zygote installs it before importing pandas)."""
    if not any(isinstance(f, _OptionalBlocker) for f in sys.meta_path):
        sys.meta_path.insert(0, _OptionalBlocker())  # type: ignore[arg-type]


class _Fail(Exception):
    def __init__(
        self, code: str, message: str, line: int | None = None, call: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message[:MAX_MESSAGE]
        self.line = line
        self.call = call


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(1, view)
        view = view[written:]


def _read_stdin() -> bytes:
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(0)
    return b"".join(chunks)


def _strategy_line(tb: Any) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == FILENAME:
            line = lineno
    return line


def main() -> None:
    # Importing numpy/pandas allocates many objects; cyclic GC passes during imports
    # cost ~10% of start-up. It is re-enabled before the strategy runs.
    gc.disable()
    started = time.perf_counter()
    limits_mod.apply_early_limits()
    blob = _read_stdin()
    try:
        block_optional_accelerators()
        result = _run(blob, started)
    except _Fail as fail:
        result = protocol.encode_output(
            {
                "status": "error",
                "code": fail.code,
                "message": fail.message,
                "line": fail.line,
                "call": fail.call,
            },
            {},
        )
    except BaseException as exc:  # the child must always answer with a frame
        result = protocol.encode_output(
            {
                "status": "error",
                "code": "sandbox_failure",
                "message": f"sandbox child failed: {type(exc).__name__}: {exc}"[:MAX_MESSAGE],
                "line": None,
            },
            {},
        )
    _write_all(result)
    # EOF for the parent now, not after the exit has torn the address space down.
    os.close(1)
    os.close(2)
    os._exit(0)


def _run(blob: bytes, started: float, *, harden: bool = True) -> bytes:
    # harden=False only for the zygote's warm-up, which runs its own trusted strategy.
    header, _ = protocol.decode_input_header(blob)
    mode = header.get("mode", "restricted")
    source: str = header["source"]
    calls: list[dict[str, Any]] = header["calls"]
    # Compile first: a policy rejection is reported before paying for numpy/pandas.
    if mode == "restricted":
        code = _compile_restricted(source, header.get("static_policy", True))
    elif mode == "probe":
        # Test-only: trusted probe code with every in-process layer off, used to prove
        # what the process-level layers enforce on their own.
        code = compile(source, FILENAME, "exec")
    else:
        raise _Fail("sandbox_failure", f"unknown mode {mode!r}")

    compiled = time.perf_counter()
    # Trusted imports happen before any hardening: they need files and memory.
    import numpy as np
    import pandas as pd

    from vt_sandbox import guards, isolation
    from vt_sandbox.limits import SandboxLimits

    limits = SandboxLimits(**header["limits"])
    datasets = protocol.decode_input_many(blob)
    modules = guards.preload_modules(bool(header.get("with_indicators")))

    loaded = time.perf_counter()
    hardening = isolation.harden(limits) if harden else {"seccomp": "filter (warm-up)"}
    if limits.require_seccomp and not hardening["seccomp"].startswith("filter"):
        raise _Fail("sandbox_failure", f"seccomp is required but {hardening['seccomp']}")

    gc.enable()
    results: list[dict[str, Any]] = []
    arrays: list[dict[str, Any]] = []
    stdout_left = limits.max_stdout_bytes
    t0 = time.perf_counter()
    for number, call in enumerate(calls):
        index_ns, columns = datasets[int(call["data"])]
        prefix = call.get("rows")
        if prefix is not None:
            # Look-ahead probe: this call sees only the first `rows` bars of its data; the
            # parent compares its signals with the full run's over the same bars.
            if not isinstance(prefix, int) or not 0 < prefix <= len(index_ns):
                raise _Fail("sandbox_failure", f"bad prefix length {prefix!r}", call=number)
            index_ns = index_ns[:prefix]
            columns = {k: v[:prefix] for k, v in columns.items()}
        index = pd.DatetimeIndex(index_ns.view("M8[ns]"), tz="UTC")
        # A fresh frame (own copies of the arrays) and fresh globals for every call: one
        # call of the batch cannot change what the next one sees.
        data = pd.DataFrame({k: v.copy() for k, v in columns.items()}, index=index, copy=False)
        printer = guards.CappedPrint(stdout_left)
        env: dict[str, Any]
        if mode == "restricted":
            env = guards.restricted_globals(printer, modules)
        else:
            env = {"__name__": "probe", "report": printer.write}
        try:
            out = _call(code, env, data, call.get("params") or {}, limits)
            # Compare with the original index: the strategy may have re-sorted or
            # re-indexed ``data`` in place, which must not make misaligned output pass.
            arrays.append(_normalise(out, index, np, pd))
        except _Fail as fail:
            fail.call = number
            raise
        stdout = printer()
        stdout_left = max(1, stdout_left - len(stdout))
        results.append({"arrays": list(arrays[-1]), "stdout": stdout})
    run_s = time.perf_counter() - t0
    return protocol.encode_batch_output(
        {
            "status": "ok",
            "results": results,
            "run_s": run_s,
            "child_s": time.perf_counter() - started,
            # Where the child's time went (docs/sandbox.md quotes these).
            "phases_ms": {
                "read_and_compile": round((compiled - started) * 1000, 2),
                "load_data": round((loaded - compiled) * 1000, 2),
                "harden": round((t0 - loaded) * 1000, 2),
                "run": round(run_s * 1000, 2),
            },
            "hardening": hardening,
        },
        arrays,
    )


def _call(code: Any, env: dict[str, Any], data: Any, params: Any, limits: Any) -> Any:
    """Run the module and its ``generate_signals`` once; failures become a ``_Fail``."""
    from vt_sandbox.guards import GuardError, OutputTooLarge

    try:
        exec(code, env)  # noqa: S102 - the whole point: run the checked, compiled strategy
        func = env.get("generate_signals")
        if not callable(func):
            raise _Fail(
                "bad_output",
                "the code must define a function generate_signals(data, params)",
            )
        return func(data, params)
    except _Fail:
        raise
    except GuardError as exc:
        line = _strategy_line(exc.__traceback__)
        raise _Fail("policy_violation", _where(exc) + str(exc), line) from None
    except OutputTooLarge as exc:
        raise _Fail("output_too_large", str(exc)) from None
    except MemoryError as exc:
        raise _Fail(
            "memory_limit",
            f"{_where(exc)}the strategy ran out of memory (limit {limits.memory_mb} MiB "
            "on top of the interpreter); avoid huge arrays",
            _strategy_line(exc.__traceback__),
        ) from None
    except RecursionError as exc:
        raise _Fail(
            "runtime_error",
            f"{_where(exc)}recursion too deep; use a loop instead",
            _strategy_line(exc.__traceback__),
        ) from None
    except Exception as exc:
        raise _Fail(
            "runtime_error",
            f"{_where(exc)}{type(exc).__name__}: {exc}",
            _strategy_line(exc.__traceback__),
        ) from None


def _compile_restricted(source: str, static_policy: bool) -> Any:
    from RestrictedPython.compile import compile_restricted_exec

    from vt_sandbox.policy import static_report

    if static_policy:
        # Re-checked here so the child never depends on the parent having done it.
        report = static_report(source, with_restricted_python=False)
        if not report.ok:
            first = report.violations[0]
            raise _Fail("policy_violation", report.summary(), first.line)
    result = compile_restricted_exec(source, filename=FILENAME)
    if result.errors or result.code is None:
        raise _Fail("policy_violation", "; ".join(result.errors) or "compilation failed")
    return result.code


def _where(exc: BaseException) -> str:
    line = _strategy_line(exc.__traceback__)
    return f"line {line}: " if line else ""


def _normalise(out: Any, index: Any, np: Any, pd: Any) -> dict[str, Any]:
    n = len(index)
    if isinstance(out, tuple):
        if len(out) != 2:
            raise _Fail(
                "bad_output",
                f"generate_signals returned a tuple of {len(out)} items; "
                "return (entries, exits) or a dict",
            )
        raw = {"entries": out[0], "exits": out[1]}
    elif isinstance(out, dict):
        unknown = sorted(str(k) for k in out if k not in SIGNAL_NAMES)
        if unknown:
            raise _Fail(
                "bad_output",
                f"unexpected key(s) {', '.join(unknown)}; allowed: {', '.join(SIGNAL_NAMES)}",
            )
        missing = [k for k in ("entries", "exits") if k not in out]
        if missing:
            raise _Fail("bad_output", f"the returned dict is missing {' and '.join(missing)}")
        raw = {k: out[k] for k in SIGNAL_NAMES if k in out and out[k] is not None}
    else:
        raise _Fail(
            "bad_output",
            f"generate_signals must return (entries, exits) or a dict, not {type(out).__name__}",
        )
    return {name: _to_bool_array(name, value, index, n, np, pd) for name, value in raw.items()}


def _to_bool_array(name: str, value: Any, index: Any, n: int, np: Any, pd: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        raise _Fail("bad_output", f"{name} is a DataFrame; return a single boolean Series")
    if isinstance(value, pd.Series):
        if len(value) == n and not value.index.equals(index):
            raise _Fail(
                "bad_output",
                f"{name} is a Series whose index does not match data.index "
                "(did you reset or re-sort the index?)",
            )
        arr = value.to_numpy()
    elif isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, list):
        arr = np.asarray(value, dtype=object)
    else:
        raise _Fail(
            "bad_output",
            f"{name} must be a boolean Series or array, not {type(value).__name__}",
        )
    if arr.ndim != 1:
        raise _Fail("bad_output", f"{name} must be 1-dimensional, got shape {arr.shape}")
    if len(arr) != n:
        raise _Fail("bad_output", f"{name} has {len(arr):,} values but data has {n:,} bars")
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8)
    if arr.dtype.kind in "iuf" or arr.dtype == object:
        try:
            numeric = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise _Fail(
                "bad_output",
                f"{name} has dtype {arr.dtype} with non-boolean values; return True/False",
            ) from None
        nan_count = int(np.isnan(numeric).sum())
        if nan_count:
            raise _Fail(
                "bad_output",
                f"{name} contains {nan_count:,} NaN/None values (often from shift() or "
                "rolling warm-up); use .fillna(False) before returning",
            )
        if not np.isin(numeric, (0.0, 1.0)).all():
            raise _Fail(
                "bad_output",
                f"{name} contains values other than True/False (or 0/1); "
                "return a boolean condition such as close > sma",
            )
        return numeric.astype(np.uint8)
    raise _Fail("bad_output", f"{name} has dtype {arr.dtype}; return booleans")
