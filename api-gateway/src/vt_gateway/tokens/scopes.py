"""What a personal access token may call: a closed allow-list of (method, route) -> scope.

Default deny: a route that is not listed here refuses every personal access token, whatever its
scopes. That keeps live trading, broker accounts and credentials, token management, settings,
admin and kill-switch routes out of reach of any token (only a password login reaches them),
including routes added later that nobody remembered to classify.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import Request

from vt_kit import Forbidden

Scope = Literal["read", "backtest", "paper"]
SCOPES: tuple[Scope, ...] = ("read", "backtest", "paper")

API = "/api/v1"

# (method, route path as declared) -> the scope it needs
ROUTE_SCOPES: dict[tuple[str, str], Scope] = {
    ("GET", "/users/me"): "read",
    ("GET", "/strategies"): "read",
    ("GET", "/strategies/{strategy_id}"): "read",
    ("GET", "/strategies/{strategy_id}/versions"): "read",
    ("GET", "/strategies/{strategy_id}/versions/{version}"): "read",
    ("GET", "/conversations/{conversation_id}"): "read",
    ("GET", "/backtests"): "read",
    ("GET", "/backtest/{run_id}"): "read",
    ("GET", "/backtest/{run_id}/events"): "read",
    ("GET", "/market/data"): "read",
    ("GET", "/market/symbols"): "read",
    ("GET", "/market/insight"): "read",
    ("GET", "/market/uploads"): "read",
    ("GET", "/deployments"): "read",  # paper only: see `_paper_only`
    ("POST", "/chat/strategy"): "backtest",
    ("PUT", "/strategies/{strategy_id}"): "backtest",
    ("POST", "/backtest/run"): "backtest",
    ("POST", "/deployments"): "paper",  # mode paper only: see `_paper_only`
}

_DENIED = (
    "Personal access tokens cannot call {method} {path}: live trading, broker accounts, "
    "credentials, settings and token management need a password login (POST /api/v1/auth/login)."
)


# matched against the request path itself (not the router's bookkeeping): `{param}` is one
# path segment, and the whole path must match
_COMPILED: tuple[tuple[str, re.Pattern[str], str, Scope], ...] = tuple(
    (method, re.compile(re.sub(r"\{[^}]+\}", "[^/]+", API + path) + "$"), path, scope)
    for (method, path), scope in ROUTE_SCOPES.items()
)


def classify(method: str, path: str) -> tuple[str, Scope] | None:
    """The declared route (`/strategies/{strategy_id}`) and its scope, or None when no token may
    call it."""
    for route_method, pattern, route, scope in _COMPILED:
        if route_method == method and pattern.match(path):
            return route, scope
    return None


def insufficient(scope: str, detail: str) -> Forbidden:
    return Forbidden(
        detail,
        slug="insufficient-scope",
        title=f"Token lacks the {scope} scope",
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
    )


async def enforce(request: Request, scopes: frozenset[str]) -> None:
    """Raise 403 unless a token with `scopes` may call this route."""
    method = request.method.upper()
    found = classify(method, request.url.path)
    if found is None:
        raise Forbidden(
            _DENIED.format(method=method, path=request.url.path),
            slug="token-not-allowed",
            title="Not allowed with a personal access token",
        )
    path, needed = found
    if needed not in scopes:
        raise insufficient(
            needed,
            f"This personal access token lacks the '{needed}' scope needed for "
            f"{method} {request.url.path} (it has: {', '.join(sorted(scopes)) or 'none'}). "
            f"Create a token with the '{needed}' scope: POST /api/v1/users/me/tokens.",
        )
    await _paper_only(request, method, path)


async def _paper_only(request: Request, method: str, path: str) -> None:
    """Tokens see and create paper deployments only; live is never reachable with one."""
    if path != "/deployments":
        return
    if method == "GET":
        if request.query_params.get("environment") != "paper":
            raise Forbidden(
                "Personal access tokens list paper deployments only: add ?environment=paper.",
                slug="token-paper-only",
                title="Paper only with a personal access token",
            )
        return
    body: Any = None
    try:
        body = await request.json()  # FastAPI has read and cached it already
    except ValueError:
        return  # not JSON: the route's own validation answers 422
    mode = body.get("mode", "paper") if isinstance(body, dict) else "paper"
    if mode != "paper":
        raise Forbidden(
            "Personal access tokens deploy to paper only: set mode to 'paper'. Live deployments "
            "need a password login.",
            slug="token-paper-only",
            title="Paper only with a personal access token",
        )
