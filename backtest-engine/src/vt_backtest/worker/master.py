"""Worker processes: one pre-forking master per replica, N consumer children.

The master imports vt_engine and compiles/loads its numba kernels once (`vt_engine.warmup()`,
with `NUMBA_CACHE_DIR` kept), *then* forks the children, so each child -- including one
restarted after a crash -- starts with a warm engine in well under a second. The master opens no
event loop, socket or connection before forking; every child creates its own.

Run it alone with `python -m vt_backtest.worker [--processes N]`, or let the service start it
(`BACKTEST_WORKERS`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
import time
from types import FrameType

from vt_backtest.settings import Settings
from vt_kit.logging import configure_logging

log = logging.getLogger("vt_backtest.worker")

RESTART_BACKOFF_MAX_S = 30.0
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: get SIGTERM when the parent process dies, so no worker outlives its service."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        log.warning("could not set the parent-death signal")


def warm_engine(settings: Settings) -> float:
    """Import the engine and compile its kernels; returns seconds spent."""
    started = time.perf_counter()
    preload()
    if settings.compute:
        from vt_backtest.worker.compute import load_compute

        load_compute(settings.compute)
    if settings.warmup and not settings.compute:
        try:
            from vt_backtest.worker.compute import warm_service_paths

            # Exercise the paths a job takes (spec and custom-code runs, serialisation) rather
            # than every kernel (`vt_engine.warmup()`): with numba's cache kept, the rest load
            # from disk in milliseconds when first used; without it, they compile on first use.
            warm_service_paths()
        except Exception:  # a cold worker is slow, not broken
            log.exception("engine warm-up failed; the first job will compile the kernels")
    return time.perf_counter() - started


def preload() -> None:
    """Import what a child needs before forking, so children start warm."""
    import asyncpg  # noqa: F401
    import httpx  # noqa: F401
    import redis.asyncio  # noqa: F401
    import sqlalchemy.dialects.postgresql.asyncpg  # noqa: F401

    import vt_backtest.worker.consumer  # noqa: F401
    import vt_sandbox  # noqa: F401


async def _child_main(settings: Settings, forked_at: float, name: str, inherit: list[str]) -> int:
    from vt_backtest.worker.consumer import Worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()

    async def watch_parent() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                log.warning("worker master is gone; stopping")
                stop.set()
            await asyncio.sleep(1.0)

    watcher = asyncio.create_task(watch_parent())
    worker = Worker(settings, name=name)
    await worker.setup()
    # Start the sandbox zygote now (not on the first custom-code job) and tell /ready how
    # custom code runs here.
    from vt_backtest.worker import sandbox

    await worker.sandbox.report(worker.redis, await asyncio.to_thread(sandbox.probe))
    if inherit:
        await worker.adopt(inherit)
    log.info(
        "worker %s ready %.0f ms after fork", worker.name, (time.perf_counter() - forked_at) * 1000
    )
    try:
        await worker.serve(stop)
    finally:
        watcher.cancel()
        await worker.close()
    return 0


def _run_child(settings: Settings, name: str, inherit: list[str]) -> int:
    forked_at = time.perf_counter()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    die_with_parent()
    try:
        return asyncio.run(_child_main(settings, forked_at, name, inherit))
    except Exception:
        log.exception("worker crashed")
        return 1


class Master:
    def __init__(self, settings: Settings, processes: int) -> None:
        self.settings = settings
        self.processes = processes
        self.children: dict[int, int] = {}  # pid -> slot
        self.names: dict[int, str] = {}  # pid -> consumer name
        self.inherit: dict[int, list[str]] = {}  # slot -> dead consumers to adopt
        self.host = socket.gethostname()
        self.stopping = False
        self._started: dict[int, float] = {}
        self._backoff: dict[int, float] = {}

    def _spawn(self, slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        token = secrets.token_hex(3)
        inherit = self.inherit.get(slot, [])
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                code = _run_child(self.settings, f"{self.host}:{os.getpid()}:{token}", inherit)
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = slot
        self.names[pid] = f"{self.host}:{pid}:{token}"
        self._started[slot] = time.monotonic()
        log.info("started worker slot %d as pid %d", slot, pid)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for slot in range(self.processes):
            self._spawn(slot)
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            slot = self.children.pop(pid, -1)
            name = self.names.pop(pid, None)
            if slot < 0:
                continue
            if name is not None:  # its replacement adopts its jobs at once
                self.inherit[slot] = [*self.inherit.get(slot, [])[-4:], name]
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                log.info("worker pid %d stopped (%s)", pid, code)
                continue
            log.error("worker pid %d (slot %d) died with %s; restarting", pid, slot, code)
            lived = time.monotonic() - self._started.get(slot, 0.0)
            delay = (
                0.0 if lived > 10 else min(RESTART_BACKOFF_MAX_S, self._backoff.get(slot, 0.25) * 2)
            )
            self._backoff[slot] = delay if delay else 0.25
            if delay:
                time.sleep(delay)
            if not self.stopping:
                self._spawn(slot)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vt_backtest.worker")
    parser.add_argument("--processes", type=int, default=None, help="default: BACKTEST_WORKERS")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level)
    if os.environ.get("VT_BACKTEST_SUPERVISED") == "1":
        die_with_parent()
    processes = args.processes if args.processes is not None else max(1, settings.backtest_workers)
    started = time.perf_counter()
    warm = warm_engine(settings)
    log.info(
        "engine warm in %.2f s (process up %.2f s); forking %d worker(s)",
        warm,
        time.perf_counter() - started,
        processes,
    )
    return Master(settings, processes).run()
