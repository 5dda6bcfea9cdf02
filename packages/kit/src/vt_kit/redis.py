"""Redis helpers: client factory and an atomic token-bucket rate limiter."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

# KEYS[1] bucket key; ARGV: capacity, refill_per_sec, now, cost. Returns {allowed, tokens*1000, retry_after_ms}.
_TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_ms = math.ceil((cost - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, math.floor(tokens * 1000), retry_ms}
"""


def make_redis(url: str, *, decode_responses: bool = False) -> Redis:
    """Create the async Redis client a service keeps for its lifetime."""
    return Redis.from_url(
        url, decode_responses=decode_responses, health_check_interval=30, socket_connect_timeout=2
    )


@dataclass(frozen=True)
class BucketDecision:
    allowed: bool
    remaining: float
    retry_after_s: float


class TokenBucket:
    """Token bucket kept in Redis so every replica shares one limit."""

    def __init__(
        self, redis: Redis, *, capacity: float, refill_per_sec: float, prefix: str = "vt:rl"
    ) -> None:
        self.redis = redis
        self.capacity = capacity
        self.refill_per_sec = refill_per_sec
        self.prefix = prefix
        self._script = redis.register_script(_TOKEN_BUCKET)

    async def take(self, key: str, cost: float = 1.0) -> BucketDecision:
        allowed, tokens_milli, retry_ms = await self._script(
            keys=[f"{self.prefix}:{key}"],
            args=[self.capacity, self.refill_per_sec, time.time(), cost],
        )
        return BucketDecision(bool(allowed), int(tokens_milli) / 1000, int(retry_ms) / 1000)

    async def load(self) -> None:
        """Load the script into Redis (needed before `queue`; `take` loads it by itself)."""
        await self.redis.script_load(_TOKEN_BUCKET)

    async def queue(self, pipe: Pipeline, key: str, cost: float = 1.0) -> None:
        """Queue this check on a pipeline so several buckets cost one round trip; read the
        pipeline's answer with `decision`. Raises NoScriptError at execute when not `load`ed."""
        await pipe.evalsha(
            self._script.sha,
            1,
            f"{self.prefix}:{key}",
            self.capacity,
            self.refill_per_sec,
            time.time(),
            cost,
        )

    @staticmethod
    def decision(raw: Any) -> BucketDecision:
        """Turn the script's raw answer into a `BucketDecision`."""
        allowed, tokens_milli, retry_ms = raw
        return BucketDecision(bool(allowed), int(tokens_milli) / 1000, int(retry_ms) / 1000)
