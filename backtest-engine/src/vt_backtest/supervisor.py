"""Started by the API process: keeps the worker master (`python -m vt_backtest.worker`) running.

The API event loop never runs engine work; it only spawns and watches this subprocess, which
forks the `BACKTEST_WORKERS` consumer processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from pydantic import SecretStr

from vt_backtest.settings import Settings

log = logging.getLogger(__name__)


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of the worker master: ours, plus every aliased setting as given to us."""
    env = dict(os.environ)
    for name, field in Settings.model_fields.items():
        alias = field.alias
        if not alias:
            continue
        value: Any = getattr(settings, name)
        if value is None:
            env.pop(alias, None)
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[alias] = str(value)
    env["VT_BACKTEST_SUPERVISED"] = "1"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


class WorkerSupervisor:
    def __init__(self, settings: Settings, *, processes: int) -> None:
        self.settings = settings
        self.processes = processes
        self.process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        await self._spawn()
        self._task = asyncio.create_task(self._watch())

    async def _spawn(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "vt_backtest.worker",
            "--processes",
            str(self.processes),
            env=worker_env(self.settings),
        )
        log.info("worker master started (pid %d, %d workers)", self.process.pid, self.processes)

    async def _watch(self) -> None:
        delay = 1.0
        while not self._stopping:
            assert self.process is not None
            code = await self.process.wait()
            if self._stopping:
                return
            log.error("worker master exited with %s; restarting in %.0f s", code, delay)
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)
            if not self._stopping:
                await self._spawn()

    async def stop(self, grace_s: float = 10.0) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        proc = self.process
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout=grace_s)
        except TimeoutError:
            log.warning("worker master did not stop in %.0f s; killing it", grace_s)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
