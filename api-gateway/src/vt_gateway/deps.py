"""Request dependencies: the current user (bearer or cookie + CSRF), admin, rate limits, upstreams."""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis

from vt_gateway.security import InvalidAccessToken, TokenService
from vt_gateway.settings import Settings
from vt_gateway.upstream import Upstreams
from vt_kit import Forbidden, TooManyRequests, Unauthorized, user_id_var
from vt_kit.redis import TokenBucket

ACCESS_COOKIE = "vt_access"
REFRESH_COOKIE = "vt_refresh"
CSRF_COOKIE = "vt_csrf"
CSRF_HEADER = "X-CSRF-Token"
REFRESH_COOKIE_PATH = "/api/v1/auth"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REVOKED_PREFIX = "vt:gw:revoked:"

# these only document the schemes in OpenAPI; the checks happen in `current_principal`
bearer_scheme = HTTPBearer(
    auto_error=False, description="Access token from POST /api/v1/auth/login."
)
cookie_scheme = APIKeyCookie(
    name=ACCESS_COOKIE,
    auto_error=False,
    description="Browser session cookie; unsafe methods also need the X-CSRF-Token header.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    role: str
    jti: str
    expires_at: int
    via_cookie: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class RateLimiter:
    """Token buckets in Redis (keys `vt:gw:rl:*`) per IP, per user and per access token, plus
    stricter per-IP/per-user buckets for auth and chat."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled

        def bucket(capacity: float, rate: float, name: str) -> TokenBucket:
            return TokenBucket(
                redis, capacity=capacity, refill_per_sec=rate, prefix=f"vt:gw:rl:{name}"
            )

        self.ip = bucket(settings.rl_ip_capacity, settings.rl_ip_rate, "ip")
        self.user = bucket(settings.rl_user_capacity, settings.rl_user_rate, "user")
        self.token = bucket(settings.rl_token_capacity, settings.rl_token_rate, "token")
        self.auth = bucket(settings.rl_auth_capacity, settings.rl_auth_rate, "auth")
        self.chat = bucket(settings.rl_chat_capacity, settings.rl_chat_rate, "chat")

    async def check(self, checks: list[tuple[TokenBucket, str]], what: str) -> None:
        if not self.enabled:
            return
        decisions = await asyncio.gather(*(b.take(key) for b, key in checks))
        refused = [d for d in decisions if not d.allowed]
        if refused:
            wait = max(1, round(max(d.retry_after_s for d in refused) + 0.499))
            raise TooManyRequests(
                f"Too many {what} requests. Wait {wait} s before trying again.",
                headers={"Retry-After": str(wait)},
            )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


def get_upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_csrf(request: Request) -> None:
    """Double-submit check: the `vt_csrf` cookie must be echoed in `X-CSRF-Token`."""
    cookie = request.cookies.get(CSRF_COOKIE)
    header = request.headers.get(CSRF_HEADER)
    if not cookie or not header or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise Forbidden(
            "Missing or wrong CSRF token: send the value of the vt_csrf cookie in the X-CSRF-Token header (or authenticate with Authorization: Bearer).",
            slug="csrf",
            title="CSRF check failed",
        )


async def authenticate(
    token: str, via_cookie: bool, tokens: TokenService, redis: Redis
) -> Principal:
    try:
        claims = tokens.verify_access(token)
    except InvalidAccessToken as exc:
        raise Unauthorized(
            "Your access token is invalid or expired. Log in again or call POST /api/v1/auth/refresh.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
    if await redis.exists(REVOKED_PREFIX + claims.jti):
        raise Unauthorized(
            "This access token was revoked (logged out). Log in again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return Principal(claims.user_id, claims.role, claims.jti, claims.expires_at, via_cookie)


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal:
    """Bearer header first (scripts, no CSRF); else the access cookie (browsers, CSRF enforced)."""
    if bearer is not None and bearer.credentials:
        token, via_cookie = bearer.credentials, False
    elif cookie:
        token, via_cookie = cookie, True
    else:
        raise Unauthorized(
            "Log in first: send Authorization: Bearer <access_token> or the vt_access cookie.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await authenticate(token, via_cookie, get_tokens(request), request.app.state.redis)
    if via_cookie and request.method not in SAFE_METHODS:
        check_csrf(request)
    user_id_var.set(principal.user_id)
    limiter = get_limiter(request)
    await limiter.check(
        [
            (limiter.ip, client_ip(request)),
            (limiter.user, principal.user_id),
            (limiter.token, principal.jti),
        ],
        "API",
    )
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def admin_principal(principal: CurrentUser) -> Principal:
    if not principal.is_admin:
        raise Forbidden("This route is for administrators only.")
    return principal


AdminUser = Annotated[Principal, Depends(admin_principal)]


async def limit_auth(request: Request) -> None:
    """Strict per-IP bucket on login/register/refresh (credential stuffing, sign-up floods)."""
    limiter = get_limiter(request)
    ip = client_ip(request)
    await limiter.check([(limiter.auth, ip), (limiter.ip, ip)], "authentication")


async def limit_chat(request: Request, principal: CurrentUser) -> None:
    """Chat turns are expensive (LLM calls): a stricter per-user bucket."""
    limiter = get_limiter(request)
    await limiter.check([(limiter.chat, principal.user_id)], "chat")


async def limit_anonymous(request: Request) -> None:
    limiter = get_limiter(request)
    await limiter.check([(limiter.ip, client_ip(request))], "API")


SettingsDep = Annotated[Settings, Depends(get_settings)]
TokensDep = Annotated[TokenService, Depends(get_tokens)]
UpstreamsDep = Annotated[Upstreams, Depends(get_upstreams)]
