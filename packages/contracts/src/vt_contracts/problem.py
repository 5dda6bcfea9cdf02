"""RFC 9457 problem details: the one error shape of every service."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vt_contracts._base import Contract

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(Contract):
    """One invalid field of a request body or query."""

    loc: list[str | int] = Field(
        description="Path to the offending field, e.g. ['body', 'spec', 'risk', 'stop_loss']."
    )
    msg: str = Field(description="What is wrong with the field and what to change.")
    type: str = Field(default="value_error", description="Machine-readable error kind.")


class Problem(Contract):
    """An `application/problem+json` body (RFC 9457)."""

    type: str = Field(
        default="about:blank",
        description="Stable URI identifying the problem kind, e.g. 'https://vibetrading.dev/problems/validation'.",
    )
    title: str = Field(description="Short, human-readable summary of the problem kind.")
    status: int = Field(ge=100, le=599, description="HTTP status code.")
    detail: str | None = Field(
        default=None, description="What happened and what the caller should change."
    )
    instance: str | None = Field(
        default=None, description="URI of this occurrence (usually the request path)."
    )
    correlation_id: str | None = Field(
        default=None, description="Correlation id of the request, for support."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Per-field validation errors, when any."
    )
    service: str | None = Field(
        default=None, description="Service or upstream provider that failed, when relevant."
    )

    def with_extra(self, **updates: Any) -> Problem:
        """Return a copy with some fields replaced."""
        return self.model_copy(update=updates)
