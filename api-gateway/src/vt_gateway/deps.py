"""Request dependencies: the current user (bearer or cookie + CSRF), admin, rate limits, upstreams."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

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
# a revoked login session (refresh-token family): its access tokens stop working at once
REVOKED_SESSION_PREFIX = "vt:gw:revoked-session:"
# a disabled account: every access token of the user stops working at once
DISABLED_PREFIX = "vt:gw:disabled:"

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
    # None for a login session (JWT); the scopes of a personal access token otherwise
    scopes: frozenset[str] | None = None
    # the login session (refresh-token family) of a JWT; None for personal access tokens
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class RateLimiter:
    """Token buckets in Redis (keys `vt:gw:rl:*`) per IP, per user and per access token, plus
    stricter per-IP/per-user buckets for auth and chat."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.redis = redis
        self._batcher = RedisBatcher(redis)

        def bucket(capacity: float, rate: float, name: str) -> TokenBucket:
            return TokenBucket(
                redis, capacity=capacity, refill_per_sec=rate, prefix=f"vt:gw:rl:{name}"
            )

        self.ip = bucket(settings.rl_ip_capacity, settings.rl_ip_rate, "ip")
        self.user = bucket(settings.rl_user_capacity, settings.rl_user_rate, "user")
        self.token = bucket(settings.rl_token_capacity, settings.rl_token_rate, "token")
        self.auth = bucket(settings.rl_auth_capacity, settings.rl_auth_rate, "auth")
        self.chat = bucket(settings.rl_chat_capacity, settings.rl_chat_rate, "chat")
        self.trading = bucket(settings.rl_trading_capacity, settings.rl_trading_rate, "trading")

    async def load(self) -> None:
        await self.ip.load()  # one script serves every bucket

    async def check(
        self,
        checks: list[tuple[TokenBucket, str]],
        what: str,
        revoked_keys: Sequence[str] = (),
    ) -> bool:
        """Take one token from each bucket (and, optionally, look up revocation keys) in ONE
        Redis round trip; raise 429 when any bucket is empty. Returns whether any key exists."""
        if not self.enabled:
            checks = []
        if not checks and not revoked_keys:
            return False
        results = await self._run(checks, revoked_keys)
        revoked = bool(results[-1]) if revoked_keys else False
        if revoked:
            return True
        decisions = [TokenBucket.decision(raw) for raw in results[: len(checks)]]
        refused = [d for d in decisions if not d.allowed]
        if refused:
            wait = max(1, round(max(d.retry_after_s for d in refused) + 0.499))
            raise TooManyRequests(
                f"Too many {what} requests. Wait {wait} s before trying again.",
                headers={"Retry-After": str(wait)},
            )
        return False

    async def _run(
        self, checks: list[tuple[TokenBucket, str]], revoked_keys: Sequence[str]
    ) -> list[Any]:
        async def queue(pipe: Pipeline) -> None:
            for bucket, key in checks:
                await bucket.queue(pipe, key)
            if revoked_keys:
                await pipe.exists(*revoked_keys)  # one command: how many of the keys exist

        size = len(checks) + bool(revoked_keys)
        for attempt in (1, 2):
            results = await self._batcher.run(queue, size)
            if not any(isinstance(r, NoScriptError) for r in results):
                for result in results:
                    if isinstance(result, Exception):
                        raise result
                return results
            if attempt == 2:  # Redis restarted or was flushed: load the script again
                break
            await self.load()
        raise NoScriptError("the rate-limit script could not be loaded")


class RedisBatcher:
    """Sends the Redis commands of every request that is ready in the same event-loop turn as
    ONE pipeline: under concurrency the gateway pays one round trip per batch instead of one
    per request (the per-request rate-limit and revocation checks are the hot path)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pending: list[
            tuple[Callable[[Pipeline], Awaitable[None]], int, asyncio.Future[list[Any]]]
        ] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, queue: Callable[[Pipeline], Awaitable[None]], size: int) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._pending.append((queue, size, future))
        if len(self._pending) == 1:
            loop.call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        task = asyncio.ensure_future(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            pipe = self.redis.pipeline(transaction=False)
            for queue, _size, _future in batch:
                await queue(pipe)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        except Exception as exc:
            for _queue, _size, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        offset = 0
        for _queue, size, future in batch:
            if not future.done():
                future.set_result(results[offset : offset + size])
            offset += size


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def get_upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


async def get_limiter(request: Request) -> RateLimiter:
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


_INVALID = (
    "Your access token is invalid or expired. Log in again or call POST /api/v1/auth/refresh."
)
_REVOKED = "This access token was revoked (logged out). Log in again."
_DISABLED = "This account is disabled. Contact the operator."


def revocation_keys(principal: Principal) -> list[str]:
    """The Redis keys whose existence ends a JWT at once: its own (logout), its login session's
    (a revoked session, log out everywhere, a password change) and its user's (disabled)."""
    keys = [REVOKED_PREFIX + principal.jti, DISABLED_PREFIX + principal.user_id]
    if principal.session_id is not None:
        keys.append(REVOKED_SESSION_PREFIX + principal.session_id)
    return keys


async def _refuse(redis: Redis, principal: Principal) -> Unauthorized:
    """The 401 for a revoked token; only on this (rare) path is the reason looked up."""
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if await redis.exists(DISABLED_PREFIX + principal.user_id):
        return Unauthorized(_DISABLED, slug="account-disabled", headers=headers)
    return Unauthorized(_REVOKED, headers=headers)


def verify(token: str, via_cookie: bool, tokens: TokenService) -> Principal:
    """Check signature and expiry (CPU only)."""
    try:
        claims = tokens.verify_access(token)
    except InvalidAccessToken as exc:
        raise Unauthorized(
            _INVALID, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from exc
    return Principal(
        claims.user_id,
        claims.role,
        claims.jti,
        claims.expires_at,
        via_cookie,
        session_id=claims.session_id,
    )


async def authenticate(
    token: str, via_cookie: bool, tokens: TokenService, redis: Redis
) -> Principal:
    """Verify a token and make sure it was not revoked (one Redis lookup)."""
    principal = verify(token, via_cookie, tokens)
    if await redis.exists(*revocation_keys(principal)):
        raise await _refuse(redis, principal)
    return principal


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
    if not via_cookie and token.startswith(PERSONAL_TOKEN_PREFIX):
        return await _personal_token_principal(request, token)
    principal = verify(token, via_cookie, request.app.state.tokens)
    if via_cookie and request.method not in SAFE_METHODS:
        check_csrf(request)
    user_id_var.set(principal.user_id)
    limiter: RateLimiter = request.app.state.limiter
    # revocation lookup and the three buckets: one Redis round trip, no database
    revoked = await limiter.check(
        [
            (limiter.ip, client_ip(request)),
            (limiter.user, principal.user_id),
            (limiter.token, principal.jti),
        ],
        "API",
        revoked_keys=revocation_keys(principal),
    )
    if revoked:
        raise await _refuse(limiter.redis, principal)
    return principal


PERSONAL_TOKEN_PREFIX = "vtp_"


async def _personal_token_principal(request: Request, token: str) -> Principal:
    """A personal access token (vt_gateway.tokens): looked up by hash, then its scopes are checked
    against the route's allow-list (default deny) before the route runs."""
    # imported here: the tokens package builds on this module's Principal
    from vt_gateway.tokens import scopes, service

    principal = await service.authenticate(request.app.state.sessionmaker, token)
    user_id_var.set(principal.user_id)
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check(
        [
            (limiter.ip, client_ip(request)),
            (limiter.user, principal.user_id),
            (limiter.token, principal.jti),
        ],
        "API",
    )
    await scopes.enforce(request, principal.scopes or frozenset())
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def session_principal(principal: CurrentUser) -> Principal:
    """A password login (JWT), not a personal access token: account and session management."""
    if principal.scopes is not None:
        raise Forbidden(
            "Managing your account and sessions needs a password login (POST /api/v1/auth/login), not a personal access token.",
            slug="token-not-allowed",
        )
    return principal


SessionUser = Annotated[Principal, Depends(session_principal)]


async def admin_principal(principal: CurrentUser) -> Principal:
    if not principal.is_admin:
        raise Forbidden("This route is for administrators only.")
    return principal


AdminUser = Annotated[Principal, Depends(admin_principal)]


async def limit_auth(request: Request) -> None:
    """Strict per-IP bucket on login/register/refresh (credential stuffing, sign-up floods)."""
    limiter: RateLimiter = request.app.state.limiter
    ip = client_ip(request)
    await limiter.check([(limiter.auth, ip), (limiter.ip, ip)], "authentication")


async def limit_chat(request: Request, principal: CurrentUser) -> None:
    """Chat turns are expensive (LLM calls): a stricter per-user bucket."""
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check([(limiter.chat, principal.user_id)], "chat")


async def limit_trading(request: Request, principal: CurrentUser) -> None:
    """Trading writes (deploy, kill, reconcile, manual tools) reach a broker: a per-user bucket."""
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check([(limiter.trading, principal.user_id)], "trading")


async def limit_anonymous(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    await limiter.check([(limiter.ip, client_ip(request))], "API")


SettingsDep = Annotated[Settings, Depends(get_settings)]
TokensDep = Annotated[TokenService, Depends(get_tokens)]
UpstreamsDep = Annotated[Upstreams, Depends(get_upstreams)]
