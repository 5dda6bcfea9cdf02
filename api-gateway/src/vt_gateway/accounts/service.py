"""Change a password, list and end login sessions, disable and enable accounts.

A login session is a refresh-token family (see `vt_gateway.auth.service`). Ending one revokes
its refresh tokens in the database and, for the access tokens already handed out (short-lived
JWTs the gateway does not look up), sets a Redis key that `current_principal` checks on every
request in the same round trip as the rate limits: the effect is immediate."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.problem import FieldError
from vt_db.models import User
from vt_gateway.accounts.schemas import PasswordChange, SessionList, SessionRead
from vt_gateway.auth import repository
from vt_gateway.auth.service import end_sessions
from vt_gateway.deps import DISABLED_PREFIX, REVOKED_PREFIX, Principal
from vt_gateway.security import Passwords, TokenService
from vt_gateway.users.service import get_me
from vt_kit import Conflict, NotFound, Unprocessable

log = logging.getLogger(__name__)


def _field_error(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"{field}: {message}",
        errors=[FieldError(loc=["body", field], msg=message, type="value_error")],
    )


async def _end_user_sessions(
    session: AsyncSession,
    redis: Redis,
    tokens: TokenService,
    user_id: uuid.UUID,
    *,
    keep: str | None,
) -> None:
    """Revoke every login session of the user (but `keep`), refresh and access tokens alike."""
    now = datetime.now(UTC)
    keep_id = uuid.UUID(keep) if keep is not None else None
    await repository.revoke_user_families(session, user_id, now, keep=keep_id)
    live = await repository.recent_families(
        session, user_id, now - timedelta(seconds=tokens.access_ttl)
    )
    await end_sessions(redis, [str(f) for f in live if f != keep_id], tokens.access_ttl)


async def change_password(
    session: AsyncSession,
    redis: Redis,
    tokens: TokenService,
    passwords: Passwords,
    principal: Principal,
    body: PasswordChange,
) -> None:
    """Check the current password, store the new one and end every other session."""
    user = await get_me(session, principal.user_id)
    current = body.current_password.get_secret_value()
    new = body.new_password.get_secret_value()
    if not passwords.verify(user.password_hash, current):
        raise _field_error(
            "current_password",
            "this is not your current password; type the password you log in with",
        )
    if new == current:
        raise _field_error("new_password", "choose a password different from the current one")
    await repository.set_password_hash(session, user, passwords.hash(new))
    await _end_user_sessions(session, redis, tokens, user.id, keep=principal.session_id)
    log.info("password changed; other sessions ended")


async def list_sessions(session: AsyncSession, principal: Principal) -> SessionList:
    rows = await repository.list_live_sessions(
        session, uuid.UUID(principal.user_id), datetime.now(UTC)
    )
    return SessionList(
        items=[
            SessionRead(
                id=str(row.family_id),
                created_at=started_at,
                last_used_at=row.created_at,
                expires_at=row.expires_at,
                user_agent=row.user_agent,
                ip=row.ip,
                current=str(row.family_id) == principal.session_id,
            )
            for row, started_at in rows
        ]
    )


async def revoke_session(
    session: AsyncSession,
    redis: Redis,
    tokens: TokenService,
    principal: Principal,
    session_id: uuid.UUID,
) -> None:
    revoked = await repository.revoke_user_family(
        session, uuid.UUID(principal.user_id), session_id, datetime.now(UTC)
    )
    if not revoked:
        raise NotFound(
            "You have no live session with this id: list them with GET /api/v1/users/me/sessions."
        )
    await end_sessions(redis, [str(session_id)], tokens.access_ttl)


async def revoke_all_sessions(
    session: AsyncSession, redis: Redis, tokens: TokenService, principal: Principal
) -> None:
    """Log out everywhere, this session included."""
    await _end_user_sessions(session, redis, tokens, uuid.UUID(principal.user_id), keep=None)
    # the presented token too, should it carry no session id (issued before sessions had one)
    ttl = principal.expires_at - int(datetime.now(UTC).timestamp())
    if ttl > 0:
        await redis.set(REVOKED_PREFIX + principal.jti, b"1", ex=ttl + 1)


async def _target(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound("No user has this id: list them with GET /api/v1/admin/users.")
    return user


async def disable_user(
    session: AsyncSession,
    redis: Redis,
    tokens: TokenService,
    admin: Principal,
    user_id: uuid.UUID,
) -> User:
    """Disable an account: refused at login and refresh, and its tokens refused from the very
    next request (personal access tokens are looked up with their owner on each request)."""
    if str(user_id) == admin.user_id:
        raise Conflict(
            "You cannot disable your own account: ask another administrator to do it.",
            slug="cannot-disable-self",
        )
    user = await _target(session, user_id)
    if user.is_active:
        await repository.set_disabled(session, user, datetime.now(UTC))
        await _end_user_sessions(session, redis, tokens, user.id, keep=None)
        # the key outlives every access token the user may still hold
        await redis.set(DISABLED_PREFIX + str(user.id), b"1", ex=tokens.access_ttl + 1)
        log.info("user %s disabled", user.id)
    return user


async def enable_user(session: AsyncSession, redis: Redis, user_id: uuid.UUID) -> User:
    """Enable an account again; its owner logs in anew (every earlier session was ended)."""
    user = await _target(session, user_id)
    if not user.is_active:
        await repository.set_disabled(session, user, None)
        await redis.delete(DISABLED_PREFIX + str(user.id))
        log.info("user %s enabled", user.id)
    return user
