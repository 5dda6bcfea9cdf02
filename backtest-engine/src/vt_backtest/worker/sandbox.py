"""How this host's workers run custom code (zygote or fresh process, isolation layers), as
reported by the workers themselves in Redis and shown by the API's `/ready`."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)

SANDBOX_KEY = "backtest:sandbox"
_TTL_S = 7 * 86_400
_PROBE = "def generate_signals(data, params):\n    return data.close > 0, data.close < 0\n"


def probe() -> dict[str, object]:
    """Run a trivial strategy once (this also starts the zygote, so the first job does not wait
    for it) and return the sandbox status; `mode` says `unavailable (...)` if it cannot run."""
    import numpy as np
    import pandas as pd

    from vt_sandbox import SandboxError, run_strategy, sandbox_status

    index = pd.date_range("2020-01-01", periods=5, freq="D", tz="UTC")
    close = np.linspace(1.0, 2.0, 5)
    frame = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index
    )
    try:
        run_strategy(_PROBE, frame)
    except SandboxError as exc:
        log.error("the sandbox cannot run custom code here: %s", exc)
        return {**sandbox_status(), "mode": f"unavailable ({exc.code}: {exc.message})"}
    return sandbox_status()


def _public(status: dict[str, object]) -> dict[str, object]:
    return {k: status.get(k) for k in ("mode", "setting", "isolation")}


async def publish(redis: Redis, worker: str, status: dict[str, object]) -> None:
    await redis.set(
        SANDBOX_KEY,
        json.dumps({**_public(status), "worker": worker, "at": round(time.time())}),
        ex=_TTL_S,
    )


async def describe(redis: Redis) -> str | None:
    """One line for `/ready`; raises if the workers reported that custom code cannot run."""
    raw = await redis.get(SANDBOX_KEY)
    if raw is None:
        return "no worker has reported yet"
    data: dict[str, Any] = json.loads(raw)
    mode = str(data.get("mode"))
    if mode.startswith("unavailable"):
        raise RuntimeError(f"sandbox {mode}")
    layers = data.get("isolation") or {}
    return f"{mode}; " + "; ".join(f"{k}: {v}" for k, v in layers.items())


class Reporter:
    """Publishes the worker's sandbox status when it changes (after a custom-code job)."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self._last: dict[str, object] | None = None

    async def report(self, redis: Redis, status: dict[str, object]) -> None:
        public = _public(status)
        if public == self._last:
            return
        try:
            await publish(redis, self.worker, status)
        except Exception:  # /ready is informational here; a job must not fail for it
            log.warning("could not publish the sandbox status", exc_info=True)
            return
        self._last = public
