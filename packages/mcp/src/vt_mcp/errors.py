"""Every failure reaches the model as a tool error carrying the API's own problem message (what
went wrong and what to change), never as a crash or a bare status code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
import pydantic
from mcp.server.mcpserver.exceptions import (
    MCPServerError,
    ResourceError,
    ResourceNotFoundError,
    ToolError,
)

from vt_client import APIError, NotLoggedIn

T = TypeVar("T")


def describe(error: APIError) -> str:
    """`403 Token lacks the backtest scope: <detail>` plus the offending fields of a 422."""
    text = str(error)
    fields = error.problem.get("errors")
    if isinstance(fields, list):
        parts = []
        for field in fields[:10]:
            if isinstance(field, dict):
                loc = ".".join(str(p) for p in field.get("loc", []) if p != "body")
                parts.append(f"{loc}: {field.get('msg', '')}" if loc else str(field.get("msg")))
        if parts:
            text += " Fields: " + "; ".join(parts)
    if error.retry_after is not None:
        text += f" Retry after {error.retry_after:.0f} s."
    return text


def call(api_url: str, fn: Callable[[], T], *, resource: bool = False) -> T:
    """Run one client call, turning its failures into `ToolError`s the model can act on (or,
    for a resource read, `ResourceError`s: a 404 becomes the protocol's "not found")."""
    error_type: type[MCPServerError] = ResourceError if resource else ToolError
    try:
        return fn()
    except APIError as exc:
        if resource and exc.status == 404:
            raise ResourceNotFoundError(describe(exc)) from exc
        raise error_type(describe(exc)) from exc
    except NotLoggedIn as exc:
        raise error_type(
            "No API token: set VT_TOKEN in the MCP server's environment to a personal access "
            "token (create one with `vt token create --name mcp --scope read --scope backtest`, after `vt login`)."
        ) from exc
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10]
        )
        raise error_type(f"Invalid arguments: {problems}") from exc
    except httpx.TimeoutException as exc:
        raise error_type(
            f"The VibeTrading API at {api_url} did not answer in time; try again."
        ) from exc
    except httpx.TransportError as exc:
        raise error_type(
            f"Cannot reach the VibeTrading API at {api_url} ({exc.__class__.__name__}): start it "
            "(`make up`) or set VT_API_URL to where it runs."
        ) from exc
