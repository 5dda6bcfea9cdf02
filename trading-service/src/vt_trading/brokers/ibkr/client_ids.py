"""Leased TWS client ids: unique per (TWS endpoint, id) across every process, by role, with
separate ranges for paper and live so a paper process can never take a live process's id.

TWS allows one connection per client id and answers a second one with error 326. A lease is a
Redis key set with NX and a TTL that the connection manager renews while connected; an id that
TWS reported as taken by someone outside our leases (326) is burned for a while and skipped."""

from __future__ import annotations

import secrets
from typing import Literal

from redis.asyncio import Redis

from vt_trading.brokers.base import BrokerUnavailable

Role = Literal["trader", "monitor"]

RANGES: dict[tuple[str, str], range] = {
    ("paper", "trader"): range(100, 200),
    ("paper", "monitor"): range(200, 300),
    ("live", "trader"): range(1100, 1200),
    ("live", "monitor"): range(1200, 1300),
}

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class ClientIdLeases:
    """Leases of client ids for one role at one TWS endpoint."""

    def __init__(
        self,
        redis: Redis,
        *,
        environment: str,
        role: Role,
        endpoint: str,
        ttl_ms: int = 60_000,
        burn_ms: int = 600_000,
    ) -> None:
        self._redis = redis
        self._range = RANGES[(environment, role)]
        self._prefix = f"vt:ibkr:{environment}:{endpoint}:client-id"
        self._ttl_ms = ttl_ms
        self._burn_ms = burn_ms
        self._token = secrets.token_hex(8)

    @property
    def id_range(self) -> range:
        return self._range

    async def acquire(self) -> int:
        """The first free id of the role's range, leased to this holder."""
        for client_id in self._range:
            if await self._redis.exists(f"{self._prefix}:burned:{client_id}"):
                continue
            if await self._redis.set(
                f"{self._prefix}:{client_id}", self._token, nx=True, px=self._ttl_ms
            ):
                return client_id
        raise BrokerUnavailable(
            f"every IBKR client id {self._range.start}-{self._range.stop - 1} is leased or in "
            "use: stop an idle connection or widen the range"
        )

    async def renew(self, client_id: int) -> bool:
        key = f"{self._prefix}:{client_id}"
        return bool(await self._redis.eval(_RENEW, 1, key, self._token, str(self._ttl_ms)))  # type: ignore[misc]

    async def release(self, client_id: int) -> None:
        await self._redis.eval(_RELEASE, 1, f"{self._prefix}:{client_id}", self._token)  # type: ignore[misc]

    async def burn(self, client_id: int) -> None:
        """TWS said the id is in use (326) though we held its lease: someone outside the
        platform (a person's script, a stale session) has it. Skip it for a while."""
        await self._redis.set(f"{self._prefix}:burned:{client_id}", "326", px=self._burn_ms)
        await self.release(client_id)
