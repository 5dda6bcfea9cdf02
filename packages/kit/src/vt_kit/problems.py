"""One Problem exception family and one set of handlers producing RFC 9457 bodies."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vt_contracts.problem import PROBLEM_CONTENT_TYPE, FieldError, Problem
from vt_kit.context import correlation_id_var

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://vibetrading.dev/problems/"


class ProblemError(Exception):
    """Raise anywhere in a service to answer with a problem+json body."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        slug: str | None = None,
        errors: list[FieldError] | None = None,
        service: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status or self.status
        self.title = title or self.title
        self.slug = slug or self.slug
        self.errors = errors
        self.service = service
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            correlation_id=correlation_id_var.get(),
            errors=self.errors,
            service=self.service,
        )


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class Unprocessable(ProblemError):
    status, slug, title = 422, "validation", "Invalid input"


class TooManyRequests(ProblemError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class UpstreamError(ProblemError):
    """An upstream service or provider failed (502), is unavailable (503) or timed out (504)."""

    status, slug, title = 502, "upstream", "Upstream failure"


class Unavailable(ProblemError):
    status, slug, title = 503, "unavailable", "Service unavailable"


class UpstreamTimeout(ProblemError):
    status, slug, title = 504, "upstream-timeout", "Upstream timed out"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """Serialise a Problem with the problem+json media type."""
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        msg = str(err.get("msg", "invalid value"))
        out.append(FieldError(loc=loc, msg=msg, type=str(err.get("type", "value_error"))))
    return out


def _summarise(errors: list[FieldError]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.loc if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {e.msg}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def install_problem_handlers(app: FastAPI, service: str | None = None) -> None:
    """Make every error of the app a problem+json response; never leak internals on a 500."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.to_problem(instance=request.url.path), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        problem = Problem(
            type=PROBLEM_BASE + "validation",
            title="Invalid input",
            status=422,
            detail=_summarise(errors),
            instance=request.url.path,
            correlation_id=correlation_id_var.get(),
            errors=errors,
        )
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        titles = {
            404: "Not found",
            405: "Method not allowed",
            401: "Authentication required",
            403: "Forbidden",
        }
        problem = Problem(
            type=PROBLEM_BASE
            + {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error"),
            title=titles.get(exc.status_code, "HTTP error"),
            status=exc.status_code,
            detail=detail
            if detail and detail not in titles.values()
            else _default_detail(exc.status_code, request),
            instance=request.url.path,
            correlation_id=correlation_id_var.get(),
        )
        headers: dict[str, Any] | None = getattr(exc, "headers", None)
        return problem_response(problem, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(
            type=PROBLEM_BASE + "internal",
            title="Internal error",
            status=500,
            detail="Something went wrong on our side. Quote the correlation id if you report it.",
            instance=request.url.path,
            correlation_id=correlation_id_var.get(),
            service=service,
        )
        return problem_response(problem)


def _default_detail(status: int, request: Request) -> str:
    if status == 404:
        return f"There is nothing at {request.url.path}. Check the path against the API reference."
    if status == 405:
        return f"{request.method} is not allowed on {request.url.path}."
    return "The request could not be served."
