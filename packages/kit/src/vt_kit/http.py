"""Outgoing HTTP: client factory with timeouts, bounded retries with backoff, circuit breaker."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from vt_kit.context import CORRELATION_HEADER, INTERNAL_TOKEN_HEADER, correlation_id_var

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=2.0)


def make_client(
    base_url: str = "",
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    internal_token: str | None = None,
    connect_retries: int = 2,
    max_connections: int = 100,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An `AsyncClient` that retries failed connects, forwards the correlation id and, for internal
    calls, the service token. `transport` replaces the network transport (tests mount apps
    in-process with `httpx.ASGITransport`)."""

    async def add_context(request: httpx.Request) -> None:
        cid = correlation_id_var.get()
        if cid and CORRELATION_HEADER not in request.headers:
            request.headers[CORRELATION_HEADER] = cid

    headers = {INTERNAL_TOKEN_HEADER: internal_token} if internal_token else {}
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        headers=headers,
        transport=transport
        or httpx.AsyncHTTPTransport(
            retries=connect_retries,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        ),
        event_hooks={"request": [add_context]},
    )


async def retry_async(
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base_delay: float = 0.2,
    max_delay: float = 2.0,
    retry_on: tuple[type[BaseException], ...] = (httpx.TransportError,),
) -> T:
    """Call `fn` up to `attempts` times with exponential backoff and jitter on `retry_on` errors."""
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except retry_on:
            if attempt == attempts:
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")


class CircuitOpenError(Exception):
    """The circuit for `name` is open: calls are refused until `retry_after` seconds pass."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"circuit for {name} is open; retry in {retry_after:.0f} s")
        self.name = name
        self.retry_after = retry_after


class CircuitBreaker:
    """Closed -> open after `failure_threshold` consecutive failures; half-open after `reset_after`
    seconds lets one trial call through; success closes it again."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Raise `CircuitOpenError` while open."""
        if self.state == "open":
            assert self._opened_at is not None
            raise CircuitOpenError(self.name, self.reset_after - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self.state == "half_open" or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()

    async def call(
        self,
        fn: Callable[[], Awaitable[T]],
        *,
        is_failure: Callable[[BaseException], bool] = lambda _e: True,
    ) -> T:
        """Run `fn` through the breaker; exceptions for which `is_failure` is true count as failures."""
        self.before_call()
        try:
            result = await fn()
        except BaseException as exc:
            if is_failure(exc):
                self.record_failure()
            raise
        self.record_success()
        return result
