"""OpenAPI documentation of error answers (every error is application/problem+json)."""

from __future__ import annotations

from typing import Any

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated, or the token is invalid or expired",
    403: "Forbidden (wrong role, or a failed CSRF check on cookie authentication)",
    404: "Not found (or not yours)",
    409: "Conflict",
    413: "Request body too large",
    422: "Invalid input; `errors` lists the offending fields",
    429: "Rate limited; wait for `Retry-After` seconds",
    502: "An internal service failed (`service` names it)",
    503: "An internal service is unavailable (`service` names it)",
    504: "An internal service timed out (`service` names it)",
}

UPSTREAM = (502, 503, 504)


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries; the schema (Problem, application/problem+json) is set in `openapi`."""
    return {code: {"description": _DESCRIPTIONS.get(code, "Error")} for code in codes}


def authed(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Errors every authenticated route can answer, plus `codes`."""
    return problem_responses(401, 403, 422, 429, *codes)
