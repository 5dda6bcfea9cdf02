"""The job queue: one Redis stream, one consumer group shared by every worker replica.

A message carries only the run id and its owner; the request itself lives in the
`backtest_runs` row, which is the source of truth for status, attempts and results.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

JOBS_STREAM = "vt:bt:jobs"
GROUP = "vt-backtest-workers"
RECOVER_LOCK = "vt:bt:recover-lock"


async def ensure_group(redis: Redis) -> bool:
    """Create the stream and the consumer group (reading from the start) if missing.

    Returns True when it had to create them: Redis lost its data (or this is the first start)."""
    try:
        await redis.xgroup_create(JOBS_STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
        return False
    return True


async def ensure_group_and_recover(
    redis: Redis, sessions: async_sessionmaker[AsyncSession], *, maxlen: int
) -> int:
    """`ensure_group`; if the group had to be created, re-enqueue every unfinished run.

    Runs that were queued or running when Redis lost its data would otherwise wait forever.
    One process does it (a short lock); duplicate jobs are harmless (idempotent pick-up).
    Returns how many runs were re-enqueued."""
    if not await ensure_group(redis):
        return 0
    if not await redis.set(RECOVER_LOCK, "1", nx=True, ex=60):
        return 0
    from vt_backtest.runs.repository import unfinished_runs

    try:
        async with sessions() as session:
            unfinished = await unfinished_runs(session)
        for run_id, user_id in unfinished:
            await enqueue(redis, str(run_id), str(user_id), maxlen=maxlen)
    finally:
        await redis.delete(RECOVER_LOCK)
    if unfinished:
        log.warning(
            "job stream was missing: recreated it and re-enqueued %d unfinished run(s)",
            len(unfinished),
        )
    return len(unfinished)


async def enqueue(redis: Redis, run_id: str, user_id: str, *, maxlen: int) -> str:
    """Append a job; returns the stream entry id. The stream is trimmed approximately."""
    fields: dict[Any, Any] = {"run_id": run_id, "user_id": user_id}
    entry = await redis.xadd(JOBS_STREAM, fields, maxlen=maxlen, approximate=True)
    return entry.decode() if isinstance(entry, bytes) else str(entry)


CANCEL_TTL_S = 24 * 3600


def cancel_key(run_id: str) -> str:
    """Set when a run is cancelled; the worker computing it polls it with its heartbeat."""
    return f"vt:bt:cancel:{run_id}"
