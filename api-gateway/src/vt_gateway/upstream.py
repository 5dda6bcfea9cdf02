"""Calls to the internal services: one client + circuit breaker per upstream, failures mapped to
502/503/504 problems naming the service, upstream problems passed through with our `instance`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from vt_gateway.settings import Settings
from vt_kit import (
    USER_ID_HEADER,
    CircuitBreaker,
    CircuitOpenError,
    ProblemError,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
    make_client,
    retry_async,
)
from vt_kit.problems import PROBLEM_BASE

log = logging.getLogger(__name__)

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# the headers of an upstream answer worth passing on to the caller
_PASS_HEADERS = ("retry-after", "cache-control", "etag", "last-modified")


class PassThroughProblem(ProblemError):
    """An upstream's 4xx problem, re-issued by the gateway (same type/title/detail/errors)."""

    def __init__(self, status: int, body: Mapping[str, Any], headers: dict[str, str]) -> None:
        super().__init__(
            str(body.get("detail") or body.get("title") or "The request was refused."),
            status=status,
            title=str(body.get("title") or "Request refused"),
            headers=headers,
        )
        self.body = body
        service = body.get("service")
        self.service = str(service) if service else None
        raw_type = str(body.get("type") or "")
        self.slug = (
            raw_type[len(PROBLEM_BASE) :] if raw_type.startswith(PROBLEM_BASE) else "upstream-4xx"
        )
        errors = body.get("errors")
        if isinstance(errors, list):
            from vt_contracts import FieldError

            try:
                self.errors = [FieldError.model_validate(e) for e in errors]
            except ValueError:
                self.errors = None


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    status: int
    content: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return orjson.loads(self.content)


class Upstream:
    """One internal service."""

    def __init__(
        self,
        name: str,
        base_url: str,
        settings: Settings,
        *,
        timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        seconds = timeout or settings.upstream_timeout_seconds
        self.client = make_client(
            base_url,
            timeout=httpx.Timeout(seconds, connect=min(2.0, seconds)),
            internal_token=settings.internal_token.get_secret_value(),
            max_connections=200,
            transport=transport,  # tests mount the sibling apps in-process
        )
        self.breaker = CircuitBreaker(
            name,
            failure_threshold=settings.upstream_failure_threshold,
            reset_after=settings.upstream_reset_seconds,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def _headers(self, user_id: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {USER_ID_HEADER: user_id} if user_id else {}
        if extra:
            headers.update(extra)
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        user_id: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> UpstreamReply:
        """Send a request; return the answer when its status is in `ok`, else raise a problem."""
        if json is not None:
            content = orjson.dumps(json)
            headers = {**(headers or {}), "content-type": "application/json"}
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}

        async def once() -> httpx.Response:
            response = await self.client.request(
                method,
                path,
                params=clean_params,
                content=content,
                files=files,
                data=data,
                headers=self._headers(user_id, headers),
            )
            if response.status_code >= 500:
                raise _ServerError(response)
            return response

        async def guarded() -> httpx.Response:
            if method in _IDEMPOTENT:
                return await retry_async(
                    once,
                    attempts=2,
                    base_delay=0.05,
                    retry_on=(httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError),
                )
            return await once()

        response = await self._guard(guarded)
        return self.check(response, ok)

    async def _guard(self, fn: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """Run `fn` through the circuit breaker; map transport failures to 503/504 problems."""
        try:
            return await self.breaker.call(fn)
        except CircuitOpenError as exc:
            wait = max(1, round(exc.retry_after))
            raise Unavailable(
                f"The {self.name} service is failing; the gateway stopped calling it for a moment. Try again in {wait} s.",
                service=self.name,
                headers={"Retry-After": str(wait)},
            ) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"The {self.name} service did not answer in time. Try again shortly.",
                service=self.name,
            ) from exc
        except httpx.TransportError as exc:
            raise Unavailable(
                f"The {self.name} service is unreachable. Try again shortly.",
                service=self.name,
                headers={"Retry-After": "5"},
            ) from exc
        except _ServerError as exc:
            raise self._server_problem(exc.response) from exc

    async def open_stream(
        self, method: str, path: str, *, user_id: str | None, json: Any, accept: str
    ) -> httpx.Response:
        """Start a streamed request; the caller reads and closes the response."""
        request = self.client.build_request(
            method,
            path,
            content=orjson.dumps(json),
            headers=self._headers(user_id, {"content-type": "application/json", "accept": accept}),
        )

        async def send() -> httpx.Response:
            response = await self.client.send(request, stream=True)
            if response.status_code >= 500:
                await response.aread()
                await response.aclose()
                raise _ServerError(response)
            return response

        return await self._guard(send)

    def check(self, response: httpx.Response, ok: tuple[int, ...]) -> UpstreamReply:
        headers = {k: v for k in _PASS_HEADERS if (v := response.headers.get(k)) is not None}
        if response.status_code in ok:
            return UpstreamReply(response.status_code, response.content, headers)
        if response.status_code >= 500:
            raise self._server_problem(response)
        if response.status_code in (401, 403):
            # the caller is authenticated at the gateway; a refusal here is our misconfiguration
            log.error(
                "%s refused the gateway's internal token (%s)", self.name, response.status_code
            )
            raise UpstreamError(
                f"The gateway is not authorised at the {self.name} service (internal token mismatch). Tell the operator.",
                service=self.name,
            )
        body = _problem_body(response)
        if body is None:
            raise UpstreamError(
                f"The {self.name} service answered {response.status_code} without a problem body.",
                service=self.name,
            )
        return_status = response.status_code if 400 <= response.status_code < 500 else 502
        raise PassThroughProblem(return_status, body, headers)

    def _server_problem(self, response: httpx.Response) -> ProblemError:
        body = _problem_body(response) or {}
        status = response.status_code
        detail = str(body.get("detail") or f"The {self.name} service failed ({status}).")
        if status == 503:
            return Unavailable(detail, service=body.get("service") or self.name)
        if status == 504:
            return UpstreamTimeout(detail, service=body.get("service") or self.name)
        return UpstreamError(detail, service=body.get("service") or self.name)


class _ServerError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _problem_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) and "title" in body else None


@dataclass
class Upstreams:
    strategy_ai: Upstream
    backtest: Upstream
    market_data: Upstream
    research: Upstream
    trading_paper: Upstream
    trading_live: Upstream

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> Upstreams:
        t = transports or {}
        return cls(
            strategy_ai=Upstream(
                "strategy-ai-worker",
                settings.strategy_ai_url,
                settings,
                timeout=settings.chat_timeout_seconds,
                transport=t.get("strategy-ai-worker"),
            ),
            backtest=Upstream(
                "backtest-engine",
                settings.backtest_engine_url,
                settings,
                transport=t.get("backtest-engine"),
            ),
            market_data=Upstream(
                "market-data-service",
                settings.market_data_url,
                settings,
                timeout=max(settings.upstream_timeout_seconds, 60.0),
                transport=t.get("market-data-service"),
            ),
            research=Upstream(
                "market-research-service",
                settings.market_research_url,
                settings,
                timeout=max(settings.upstream_timeout_seconds, 30.0),
                transport=t.get("market-research-service"),
            ),
            trading_paper=Upstream(
                "trading-paper",
                settings.trading_paper_url,
                settings,
                transport=t.get("trading-paper"),
            ),
            trading_live=Upstream(
                "trading-live", settings.trading_live_url, settings, transport=t.get("trading-live")
            ),
        )

    def all(self) -> list[Upstream]:
        return [
            self.strategy_ai,
            self.backtest,
            self.market_data,
            self.research,
            self.trading_paper,
            self.trading_live,
        ]

    def trading(self, environment: str) -> Upstream:
        """The trading service of one environment (paper and live are separate processes)."""
        return self.trading_live if environment == "live" else self.trading_paper

    async def aclose(self) -> None:
        for upstream in self.all():
            await upstream.aclose()
