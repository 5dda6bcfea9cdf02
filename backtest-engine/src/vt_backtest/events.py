"""Progress events on Redis pub/sub: `vt:bt:events:{run_id}` and `vt:bt:user:{user_id}`.

Each message is JSON `{id, status, progress, error?}`; the gateway fans them out to browsers.
Events are best effort (pub/sub has no replay): the run row is the durable state.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)


def run_channel(run_id: str) -> str:
    return f"vt:bt:events:{run_id}"


def user_channel(user_id: str) -> str:
    return f"vt:bt:user:{user_id}"


def event_body(
    run_id: str, status: str, progress: float, error: dict[str, Any] | None = None
) -> str:
    body: dict[str, Any] = {"id": run_id, "status": status, "progress": round(progress, 4)}
    if error is not None:
        body["error"] = error
    return json.dumps(body, separators=(",", ":"))


async def publish(
    redis: Redis,
    *,
    run_id: str,
    user_id: str,
    status: str,
    progress: float,
    error: dict[str, Any] | None = None,
) -> None:
    """Publish one event on both channels; a Redis hiccup is logged, never fatal to the job."""
    body = event_body(run_id, status, progress, error)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.publish(run_channel(run_id), body)
            pipe.publish(user_channel(user_id), body)
            await pipe.execute()
    except Exception:  # events are best effort; the row holds the truth
        log.warning("could not publish progress event for run %s", run_id, exc_info=True)
