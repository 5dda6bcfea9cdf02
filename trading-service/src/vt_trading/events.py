"""Live updates: JSON events on the Redis pub/sub channel `vt:trading:user:{user_id}`."""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from redis.asyncio import Redis

log = logging.getLogger(__name__)

EventType = Literal["deployment", "order", "fill", "target", "risk"]


def channel(user_id: str) -> str:
    return f"vt:trading:user:{user_id}"


class Events:
    """Publishes after commit; a lost event is acceptable (clients re-read), a lost row is not."""

    def __init__(self, redis: Redis, environment: str) -> None:
        self._redis = redis
        self._environment = environment

    @property
    def redis(self) -> Redis:
        """The client events go through (shared with adapters that lease ids in Redis)."""
        return self._redis

    async def publish(self, user_id: str, type_: EventType, data: dict[str, Any]) -> None:
        body = json.dumps(
            {"type": type_, "environment": self._environment, "data": data}, default=str
        )
        try:
            await self._redis.publish(channel(user_id), body)
        except Exception:  # Redis down: updates are best effort, the rows are the truth
            log.warning("could not publish a %s event", type_, exc_info=True)
