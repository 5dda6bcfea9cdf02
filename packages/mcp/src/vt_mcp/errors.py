"""Every failure reaches the model as a tool error carrying the API's own problem message (what
went wrong and what to change), never as a crash or a bare status code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
import pydantic
from mcp.server.mcpserver.exceptions import ToolError

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


def call(api_url: str, fn: Callable[[], T]) -> T:
    """Run one client call, turning its failures into `ToolError`s the model can act on."""
    try:
        return fn()
    except APIError as exc:
        raise ToolError(describe(exc)) from exc
    except NotLoggedIn as exc:
        raise ToolError(
            "No API token: set VT_TOKEN in the MCP server's environment to a personal access "
            "token (create one with `vt token create --name mcp --scope read --scope backtest`)."
        ) from exc
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10]
        )
        raise ToolError(f"Invalid arguments: {problems}") from exc
    except httpx.TimeoutException as exc:
        raise ToolError(
            f"The VibeTrading API at {api_url} did not answer in time; try again."
        ) from exc
    except httpx.TransportError as exc:
        raise ToolError(
            f"Cannot reach the VibeTrading API at {api_url} ({exc.__class__.__name__}): start it "
            "(`make up`) or set VT_API_URL to where it runs."
        ) from exc
