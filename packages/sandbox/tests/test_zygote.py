"""The pre-forked sandbox: children share nothing, the zygote holds nothing, failures recover.

The probes use the test-only ``_mode="probe"`` hook (trusted code, guards off) so they can
do what strategy code never could - monkey-patch numpy, set globals in our own modules -
and prove that even that does not reach the next run.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from vt_sandbox import (
    SandboxError,
    SandboxLimits,
    launcher,
    run_strategy,
    run_strategy_batch,
    sandbox_status,
)
from vt_sandbox.runner import _run

from .support import make_ohlcv

DATA = make_ohlcv(120)
LIMITS = SandboxLimits(cpu_seconds=2.0, wall_seconds=30.0, memory_mb=256)
LEGIT = """
def generate_signals(data, params):
    fast = data.close.rolling(params.get("n", 5)).mean()
    return (data.close > fast).fillna(False), (data.close < fast).fillna(False)
"""

PROBE = """
import os, sys, builtins
import numpy
import pandas
from vt_sandbox import guards

def listing():
    try:
        return sorted(os.listdir("."))
    except OSError:
        return "denied"  # Landlock: the working directory is not even readable

def generate_signals(data, params):
    seen = {
        "pid": os.getpid(),
        "numpy_mean_patched": getattr(numpy.mean, "patched", False),
        "series_patched": hasattr(pandas.Series, "leak"),
        "guards_global": hasattr(guards, "LEAK"),
        "builtin": hasattr(builtins, "LEAKED"),
        "sys_module": "leak_module" in sys.modules,
        "env": "LEAK" in os.environ,
        "cwd_files": listing(),
    }
    report(repr(seen) + "\\n")
    if params.get("poison"):
        patched = lambda *a, **k: 42.0
        patched.patched = True
        numpy.mean = patched
        pandas.Series.leak = True
        guards.LEAK = True
        builtins.LEAKED = True
        sys.modules["leak_module"] = sys
        os.environ["LEAK"] = "1"
        try:
            open("left-behind.txt", "w")
        except OSError:
            pass
    return data.close > 0, data.close < 0
"""


def _probe(params: dict[str, object] | None = None) -> dict[str, object]:
    result = _run(PROBE, DATA, params, LIMITS, _static_policy=False, _mode="probe")
    value: dict[str, object] = eval(result.stdout)  # our own probe's repr
    return value


def test_no_state_leaks_from_one_run_to_the_next() -> None:
    first = _probe({"poison": True})
    second = _probe()
    third = _probe()
    clean = {
        "numpy_mean_patched": False,
        "series_patched": False,
        "guards_global": False,
        "builtin": False,
        "sys_module": False,
        "env": False,
    }
    for run in (first, second, third):
        assert {k: v for k, v in run.items() if k not in ("pid", "cwd_files")} == clean, run
        assert run["cwd_files"] in ([], "denied")
    # One process per run, never reused, and never the zygote itself.
    pids = {first["pid"], second["pid"], third["pid"]}
    assert len(pids) == 3
    assert launcher.zygote_pid() not in pids


def test_strategy_globals_and_data_do_not_leak_between_batch_calls() -> None:
    source = """
seen = []

def generate_signals(data, params):
    seen.append(params["n"])
    print(len(seen), data.close.iloc[0] > 0)
    data["close"] = data["close"] * 0 - 1
    return data.open > 0, data.open < 0
"""
    results = run_strategy_batch(source, [(DATA, {"n": 1}), (DATA, {"n": 2})], LIMITS)
    assert [r.stdout for r in results] == ["1 True\n", "1 True\n"]


def test_batch_matches_single_runs_and_sends_each_frame_once() -> None:
    other = make_ohlcv(80, seed=3)
    runs = [(DATA, {"n": 3}), (DATA, {"n": 10}), (other, {"n": 4}), (DATA, None)]
    batch = run_strategy_batch(LEGIT, runs, LIMITS)
    assert len(batch) == 4
    for (frame, params), got in zip(runs, batch, strict=True):
        single = run_strategy(LEGIT, frame, params, LIMITS)
        np.testing.assert_array_equal(got.entries, single.entries)
        np.testing.assert_array_equal(got.exits, single.exits)
        assert len(got.entries) == len(frame)
    assert run_strategy_batch(LEGIT, [], LIMITS) == []


def test_batch_failure_names_the_call() -> None:
    source = LEGIT.replace('params.get("n", 5)', 'params["n"]')
    with pytest.raises(SandboxError) as info:
        run_strategy_batch(source, [(DATA, {"n": 3}), (DATA, {}), (DATA, {"n": 4})], LIMITS)
    assert info.value.code == "runtime_error"
    assert info.value.message.startswith("call 2 of 3: ")


def test_every_layer_is_applied_in_the_forked_child() -> None:
    result = run_strategy(LEGIT, DATA, None, LIMITS)
    status = sandbox_status()
    assert status["mode"] == "zygote"
    assert status["isolation"] == dict(result.isolation)
    assert result.isolation["seccomp"].startswith("filter")
    assert "nproc=0" in result.isolation["rlimits"]
    if os.geteuid() == 0:
        assert result.isolation["network"] == "netns"
    from vt_sandbox import landlock

    if landlock.abi_version() >= 1:
        assert result.isolation["landlock"].startswith("abi")
    # The same layers as the fresh-interpreter fallback (the address-space cap is "current
    # size + budget", and a fresh interpreter's size differs by a MiB or so).
    fresh = _run(LEGIT, DATA, None, LIMITS, _fresh=True)

    def without_as(layers: dict[str, str]) -> dict[str, str]:
        return {k: v.split(" as<=")[0] if k == "rlimits" else v for k, v in layers.items()}

    assert without_as(dict(fresh.isolation)) == without_as(dict(result.isolation))
    np.testing.assert_array_equal(fresh.entries, result.entries)


def _proc(pid: int, name: str) -> str:
    with open(f"/proc/{pid}/{name}", "rb") as fh:
        return fh.read().decode("utf-8", "replace")


def test_zygote_is_single_threaded_and_holds_no_secrets() -> None:
    run_strategy(LEGIT, DATA, None, LIMITS)
    pid = launcher.zygote_pid()
    assert pid is not None
    assert len(os.listdir(f"/proc/{pid}/task")) == 1
    environ = sorted(v.split("=", 1)[0] for v in _proc(pid, "environ").split("\0") if v)
    assert environ == sorted(launcher.CHILD_ENV)
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    # Between runs (its children reaped) it holds one socket: the control socket to us. While
    # runs are in flight it also holds their status sockets - Unix socketpairs with us too.
    deadline = time.monotonic() + 10
    while _children_of(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    with open("/proc/net/unix", encoding="ascii") as fh:
        unix_inodes = {line.split()[6] for line in fh.readlines()[1:] if len(line.split()) > 6}
    sockets, others = [], []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if target.startswith("socket:"):
            sockets.append(target[len("socket:[") : -1])
        elif target != "/dev/null" and not target.startswith("anon_inode:"):
            others.append(target)
    assert len(sockets) == 1, "only the control socket to its parent"
    assert set(sockets) <= unix_inodes, "a Unix socket, no network socket"
    assert others == []
    control = launcher._state.zygote.control  # type: ignore[union-attr]
    assert stat.S_ISSOCK(os.fstat(control.fileno()).st_mode)


def test_zygote_crash_is_recovered() -> None:
    run_strategy(LEGIT, DATA, None, LIMITS)
    before = launcher.zygote_pid()
    starts = sandbox_status()["zygote_starts"]
    assert before is not None
    os.kill(before, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while launcher.zygote_pid() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    result = run_strategy(LEGIT, DATA, None, LIMITS)
    assert result.isolation["seccomp"].startswith("filter")
    after = launcher.zygote_pid()
    assert after is not None
    assert after != before
    status = sandbox_status()
    assert status["mode"] == "zygote"
    assert status["zygote_starts"] == starts + 1  # type: ignore[operator]


def test_zygote_dying_mid_run_fails_that_run_only() -> None:
    run_strategy(LEGIT, DATA, None, LIMITS)
    pid = launcher.zygote_pid()
    assert pid is not None
    slow = "def generate_signals(data, params):\n    while True:\n        pass\n"
    limits = SandboxLimits(cpu_seconds=20.0, wall_seconds=20.0, memory_mb=256)
    killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(SandboxError) as info:
        run_strategy(slow, DATA, None, limits)
    killer.join()
    assert info.value.code in {"sandbox_failure", "runtime_error"}
    assert run_strategy(LEGIT, DATA, None, LIMITS).entries.shape == (len(DATA),)


def _children_of(pid: int) -> set[int]:
    try:
        text = _proc(pid, f"task/{pid}/children")
    except FileNotFoundError:
        return set()
    return {int(p) for p in text.split()}


def test_timeout_kills_only_that_child() -> None:
    run_strategy(LEGIT, DATA, None, LIMITS)
    zygote = launcher.zygote_pid()
    assert zygote is not None
    endless = "def generate_signals(data, params):\n    while True:\n        pass\n"
    short = SandboxLimits(cpu_seconds=30.0, wall_seconds=1.5, memory_mb=256)

    def normal(i: int) -> int:
        time.sleep(0.05 * i)
        return int(run_strategy(LEGIT, DATA, {"n": 3 + i}, LIMITS).entries.sum())

    with ThreadPoolExecutor(max_workers=4) as pool:
        hung = pool.submit(run_strategy, endless, DATA, None, short)
        others = [pool.submit(normal, i) for i in range(6)]
        with pytest.raises(SandboxError) as info:
            hung.result()
        assert all(f.result() >= 0 for f in others)
    assert info.value.code == "timeout"
    assert launcher.zygote_pid() == zygote, "the zygote survived"
    deadline = time.monotonic() + 10  # finished children are reaped asynchronously
    while _children_of(zygote) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _children_of(zygote) == set(), "no child is left running"
    assert run_strategy(LEGIT, DATA, None, LIMITS).entries.shape == (len(DATA),)


def test_falls_back_to_a_fresh_interpreter_when_the_zygote_cannot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> launcher.Zygote:
        raise OSError("zygote did not start (test)")

    monkeypatch.setattr(launcher, "_state", launcher._State())
    monkeypatch.setattr(launcher.Zygote, "start", staticmethod(broken))
    result = run_strategy(LEGIT, DATA, None, LIMITS)
    assert result.isolation["seccomp"].startswith("filter")
    status = sandbox_status()
    assert str(status["mode"]).startswith("fresh (zygote unavailable: zygote did not start")
    assert status["zygote_pid"] is None

    monkeypatch.setenv("VT_SANDBOX_ZYGOTE", "required")
    monkeypatch.setattr(launcher, "_state", launcher._State())
    with pytest.raises(SandboxError) as info:
        run_strategy(LEGIT, DATA, None, LIMITS)
    assert info.value.code == "sandbox_failure"

    monkeypatch.setenv("VT_SANDBOX_ZYGOTE", "off")
    run_strategy(LEGIT, DATA, None, LIMITS)
    assert sandbox_status()["mode"] == "fresh (VT_SANDBOX_ZYGOTE=off)"

    monkeypatch.setenv("VT_SANDBOX_ZYGOTE", "bogus")
    with pytest.raises(SandboxError):
        run_strategy(LEGIT, DATA, None, LIMITS)
    assert str(sandbox_status()["mode"]).startswith("unavailable (VT_SANDBOX_ZYGOTE must be")


def test_a_forked_copy_of_the_parent_starts_its_own_zygote() -> None:
    run_strategy(LEGIT, DATA, None, LIMITS)
    ours = launcher.zygote_pid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked copy
        code = 1
        signal.alarm(60)  # never hang the suite, whatever the fork inherited
        try:
            run_strategy(LEGIT, DATA, None, LIMITS)
            os.write(write, str(launcher.zygote_pid()).encode())
            launcher.shutdown()
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    theirs = os.read(read, 64).decode()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    assert theirs
    assert int(theirs) != ours
    assert launcher.zygote_pid() == ours  # ours is untouched and still serves us
    run_strategy(LEGIT, DATA, None, LIMITS)


def test_zygote_is_recycled_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher, "_state", launcher._State())
    monkeypatch.setattr(launcher, "RECYCLE_AFTER_FORKS", 3)
    try:
        run_strategy(LEGIT, DATA, None, LIMITS)
        first = launcher.zygote_pid()
        for _ in range(2):
            run_strategy(LEGIT, DATA, None, LIMITS)  # the third fork starts a successor
        deadline = time.monotonic() + 60
        while launcher.zygote_pid() == first and time.monotonic() < deadline:
            time.sleep(0.05)
        second = launcher.zygote_pid()
        assert second is not None
        assert second != first
        with ThreadPoolExecutor(max_workers=3) as pool:
            sums = list(
                pool.map(lambda n: run_strategy(LEGIT, DATA, {"n": n}, LIMITS), range(3, 9))
            )
        assert all(s.isolation["seccomp"].startswith("filter") for s in sums)
        assert first is not None
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{first}") and time.monotonic() < deadline:
            launcher._zygote(launcher._state, "auto")  # reaps retired zygotes
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{first}"), "the retired zygote exited"
    finally:
        launcher.shutdown()


def test_large_inputs_are_pumped_to_a_forked_child() -> None:
    big = make_ohlcv(40_000, seed=5)  # ~1.9 MB of input: more than a pipe holds up front
    result = run_strategy(LEGIT, big, {"n": 7}, LIMITS)
    fast = big.close.rolling(7).mean()
    np.testing.assert_array_equal(result.entries, (big.close > fast).fillna(False).to_numpy())
    assert sandbox_status()["mode"] == "zygote"
