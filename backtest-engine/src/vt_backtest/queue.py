"""The job queue: one Redis stream, one consumer group shared by every worker replica.

A message carries only the run id and its owner; the request itself lives in the
`backtest_runs` row, which is the source of truth for status, attempts and results.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

JOBS_STREAM = "vt:bt:jobs"
GROUP = "vt-backtest-workers"


async def ensure_group(redis: Redis) -> None:
    """Create the stream and the consumer group (reading from the start) if missing."""
    try:
        await redis.xgroup_create(JOBS_STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def enqueue(redis: Redis, run_id: str, user_id: str, *, maxlen: int) -> str:
    """Append a job; returns the stream entry id. The stream is trimmed approximately."""
    fields: dict[Any, Any] = {"run_id": run_id, "user_id": user_id}
    entry = await redis.xadd(JOBS_STREAM, fields, maxlen=maxlen, approximate=True)
    return entry.decode() if isinstance(entry, bytes) else str(entry)
