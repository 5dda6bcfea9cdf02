"""How client failures read to the model (no stack needed: the end-to-end tests cover the real
answers; these pin the formatting of the parts the stack rarely produces)."""

from __future__ import annotations

import re

import httpx
import pytest
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError

from vt_client import APIError, NotLoggedIn
from vt_mcp.errors import call, describe

URL = "http://127.0.0.1:9"


def _raise(exc: Exception) -> None:
    raise exc


def test_validation_problem_lists_the_fields() -> None:
    error = APIError(
        422,
        {
            "title": "Invalid request",
            "detail": "2 fields are invalid.",
            "errors": [
                {"loc": ["body", "capital"], "msg": "Input should be greater than 0"},
                {"loc": ["body", "replay", "end"], "msg": "must be after start"},
            ],
        },
    )
    text = describe(error)
    assert text.startswith("422 Invalid request: 2 fields are invalid.")
    assert (
        "Fields: capital: Input should be greater than 0; replay.end: must be after start" in text
    )


def test_rate_limit_says_when_to_retry() -> None:
    error = APIError(429, {"title": "Too many requests", "detail": "Slow down."})
    error.retry_after = 7
    assert describe(error).endswith("Retry after 7 s.")


def test_failures_become_tool_errors() -> None:
    with pytest.raises(ToolError, match="403 Forbidden"):
        call(URL, lambda: _raise(APIError(403, {"title": "Forbidden"})))
    with pytest.raises(ToolError, match="VT_TOKEN"):
        call(URL, lambda: _raise(NotLoggedIn("no token")))
    with pytest.raises(ToolError, match=re.escape(f"Cannot reach the VibeTrading API at {URL}")):
        call(URL, lambda: _raise(httpx.ConnectError("refused")))
    with pytest.raises(ToolError, match="did not answer in time"):
        call(URL, lambda: _raise(httpx.ReadTimeout("slow")))


def test_resource_reads_fail_as_resource_errors() -> None:
    with pytest.raises(ResourceNotFoundError, match="404"):
        call(URL, lambda: _raise(APIError(404, {"title": "Not found"})), resource=True)
    with pytest.raises(ResourceError, match="503"):
        call(URL, lambda: _raise(APIError(503, {"title": "Unavailable"})), resource=True)
    with pytest.raises(ResourceError) as caught:
        call(URL, lambda: _raise(APIError(503, {"title": "Unavailable"})), resource=True)
    assert not isinstance(caught.value, ToolError)
