"""The provider interface, provider errors and the protection around every upstream call
(per-provider rate limit, bounded retries with backoff, circuit breaker)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

from redis.asyncio import Redis

from vt_contracts.ohlcv import QualityIssue
from vt_kit.http import CircuitBreaker, CircuitOpenError, retry_async
from vt_kit.problems import (
    NotFound,
    ProblemError,
    Unavailable,
    Unprocessable,
    UpstreamError,
    UpstreamTimeout,
)
from vt_kit.redis import TokenBucket
from vt_market_data.core.bars import Bars
from vt_market_data.symbols.registry import SymbolInfo

log = logging.getLogger(__name__)
T = TypeVar("T")

OFFLINE_HINT = (
    "The offline samples SAMPLE:AAPL, SAMPLE:MSFT, SAMPLE:IBM, SAMPLE:GOOG and the synthetic "
    "DEMO:TREND, DEMO:RANGE, DEMO:PAIR_A, DEMO:PAIR_B work without internet."
)

PROVIDER_TITLES = {
    "yfinance": "Yahoo Finance",
    "ccxt": "the crypto exchange",
    "polygon": "polygon.io",
}


class ProviderError(Exception):
    """An upstream failure; `transient` ones are retried and count against the circuit."""

    status = 502
    transient = True

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message


class ProviderUnreachable(ProviderError):
    status = 503


class ProviderTimeout(ProviderError):
    status = 504


class ProviderBadResponse(ProviderError):
    status = 502


class ProviderRateLimited(ProviderError):
    status = 503
    transient = False


class ProviderSymbolNotFound(ProviderError):
    status = 404
    transient = False


class ProviderRejected(ProviderError):
    """The provider refused the request as asked (e.g. a range it does not serve)."""

    status = 422
    transient = False


class ProviderNotConfigured(ProviderError):
    status = 503
    transient = False


def to_problem(exc: ProviderError) -> ProblemError:
    """A problem+json error naming the provider in `service` and in the detail."""
    name = exc.provider
    if isinstance(exc, ProviderSymbolNotFound):
        return NotFound(f"{name}: {exc.message}", title="Unknown symbol", service=name)
    if isinstance(exc, ProviderRejected):
        return Unprocessable(f"{name}: {exc.message}", service=name)
    detail = f"{name}: {exc.message}"
    if isinstance(exc, ProviderUnreachable | ProviderTimeout) and name != "upload":
        detail += " " + OFFLINE_HINT
    if exc.status == 504:
        return UpstreamTimeout(detail, service=name)
    if exc.status == 503:
        return Unavailable(detail, service=name, title="Provider unavailable")
    return UpstreamError(detail, service=name)


@dataclass
class FetchResult:
    bars: Bars
    issues: list[QualityIssue] = field(default_factory=list)


class Provider(Protocol):
    """One source of OHLCV bars."""

    name: str

    def native_timeframe(self, info: SymbolInfo, timeframe: str) -> str:
        """The timeframe fetched (and cached) to serve `timeframe`."""
        ...

    async def fetch(
        self, info: SymbolInfo, timeframe: str, start_ns: int, end_ns: int, adjusted: bool
    ) -> FetchResult:
        """Bars with start <= ts < end, normalised (UTC, sorted), unchanged otherwise."""
        ...


@runtime_checkable
class ListsCorporateActions(Protocol):
    """A provider that can list the corporate actions of a symbol (to keep adjusted bars right)."""

    async def actions(self, info: SymbolInfo, start_ns: int, end_ns: int) -> list[int]:
        """Timestamps (ns) of splits and dividends with start <= ts < end."""
        ...


class Guard:
    """Rate limit + retries + circuit breaker for one provider."""

    def __init__(
        self,
        name: str,
        redis: Redis,
        *,
        capacity: float,
        refill_per_sec: float,
        attempts: int = 3,
        base_delay: float = 0.2,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        max_wait: float = 5.0,
    ) -> None:
        self.name = name
        self.bucket = TokenBucket(
            redis, capacity=capacity, refill_per_sec=refill_per_sec, prefix="vt:md:rl"
        )
        self.breaker = CircuitBreaker(
            name, failure_threshold=failure_threshold, reset_after=reset_after
        )
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_wait = max_wait

    async def _acquire(self) -> None:
        waited = 0.0
        while True:
            decision = await self.bucket.take(self.name)
            if decision.allowed:
                return
            if waited + decision.retry_after_s > self.max_wait:
                raise ProviderRateLimited(
                    self.name,
                    f"our rate limit for {self.name} is used up; retry in {decision.retry_after_s:.0f} s.",
                )
            await asyncio.sleep(decision.retry_after_s)
            waited += decision.retry_after_s

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run one upstream call with protection; failures become ProviderErrors."""

        async def once() -> T:
            await self._acquire()
            return await fn()

        async def with_retries() -> T:
            return await retry_async(
                once,
                attempts=self.attempts,
                base_delay=self.base_delay,
                retry_on=(ProviderUnreachable, ProviderTimeout, ProviderBadResponse),
            )

        try:
            return await self.breaker.call(
                with_retries,
                is_failure=lambda e: isinstance(e, ProviderError) and e.transient,
            )
        except CircuitOpenError as exc:
            raise ProviderUnreachable(
                self.name,
                f"{self.name} failed repeatedly, so calls to it are paused; retry in {exc.retry_after:.0f} s.",
            ) from exc
