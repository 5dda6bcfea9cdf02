"""Errors raised by the client: the API's problem+json, as an exception."""

from __future__ import annotations

from typing import Any

import httpx


class VTError(Exception):
    """Base class of the client's errors."""


class APIError(VTError):
    """The API answered with an error (an RFC 9457 problem)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.title = str(problem.get("title") or f"HTTP {status}")
        self.detail = str(problem.get("detail") or "")
        self.service = problem.get("service")
        self.retry_after: float | None = None
        super().__init__(
            f"{status} {self.title}: {self.detail}" if self.detail else f"{status} {self.title}"
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> APIError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {"title": response.reason_phrase or "Error", "status": response.status_code}
        error = cls(response.status_code, body)
        retry = response.headers.get("retry-after")
        if retry and retry.isdigit():
            error.retry_after = float(retry)
        return error


class NotLoggedIn(VTError):
    """No token: run `vt login` or set VT_TOKEN."""
