"""Register, log in, rotate refresh tokens (reuse revokes the family), log out."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import User
from vt_gateway.auth import repository
from vt_gateway.deps import REVOKED_PREFIX, REVOKED_SESSION_PREFIX, Principal
from vt_gateway.security import Passwords, TokenService, hash_refresh_token, new_refresh_token
from vt_kit import Unauthorized

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Session:
    """What a successful login or refresh hands out."""

    user: User
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


async def register(
    session: AsyncSession, passwords: Passwords, email: str, password: str
) -> User | None:
    """Create the account, or return None when the e-mail is already registered.

    The caller answers both cases the same way (201, same body shape), so registration does not
    tell anyone whether an address has an account; the password is hashed in both cases so the
    time taken does not tell either. The existing account is left untouched."""
    password_hash = passwords.hash(password)
    existing = await repository.get_user_by_email(session, email)
    if existing is not None:
        log.info("registration for an already registered e-mail (user %s); ignored", existing.id)
        return None
    try:
        async with session.begin_nested():
            return await repository.add_user(session, email, password_hash)
    except IntegrityError:  # a concurrent registration won the race
        log.info("registration lost a race for the same e-mail; ignored")
        return None


async def _issue(
    session: AsyncSession,
    tokens: TokenService,
    user: User,
    family_id: uuid.UUID,
    user_agent: str | None,
    ip: str | None,
) -> tuple[Session, uuid.UUID]:
    access, _claims = tokens.issue_access(str(user.id), user.role, str(family_id))
    refresh = new_refresh_token()
    row = await repository.add_refresh_token(
        session,
        user_id=user.id,
        family_id=family_id,
        token_hash=hash_refresh_token(refresh),
        expires_at=datetime.now(UTC) + timedelta(seconds=tokens.refresh_ttl),
        user_agent=user_agent,
        ip=ip,
    )
    return Session(user, access, tokens.access_ttl, refresh, tokens.refresh_ttl), row.id


async def login(
    session: AsyncSession,
    tokens: TokenService,
    passwords: Passwords,
    email: str,
    password: str,
    *,
    user_agent: str | None,
    ip: str | None,
) -> Session:
    user = await repository.get_user_by_email(session, email)
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("Wrong e-mail or password.", slug="invalid-credentials")
    if not user.is_active:
        raise Unauthorized(
            "This account is disabled. Contact the operator.", slug="account-disabled"
        )
    if passwords.needs_rehash(user.password_hash):
        await repository.set_password_hash(session, user, passwords.hash(password))
    issued, _ = await _issue(session, tokens, user, uuid.uuid4(), user_agent, ip)
    return issued


_REFRESH_FAILED = "Your session has expired or was revoked. Log in again."


async def refresh(
    session: AsyncSession,
    tokens: TokenService,
    refresh_token: str,
    *,
    user_agent: str | None,
    ip: str | None,
) -> Session:
    """Rotate: the presented token is used up and a new one of the same family is issued. A token
    presented a second time means it was stolen (or replayed): the whole family is revoked."""
    now = datetime.now(UTC)
    row = await repository.get_refresh_token_for_update(session, hash_refresh_token(refresh_token))
    if row is None:
        raise Unauthorized(_REFRESH_FAILED, slug="invalid-refresh-token")
    if row.used_at is not None or row.revoked_at is not None:
        await repository.revoke_family(session, row.family_id, now)
        # commit here on purpose: the request dependency rolls back on the 401 we raise next,
        # and the revocation must survive it
        await session.commit()
        if row.used_at is not None:
            log.warning("refresh token reuse detected; family %s revoked", row.family_id)
        raise Unauthorized(_REFRESH_FAILED, slug="invalid-refresh-token")
    if row.expires_at <= now:
        raise Unauthorized(_REFRESH_FAILED, slug="invalid-refresh-token")
    user = await repository.get_user(session, row.user_id)
    if user is None or not user.is_active:
        await repository.revoke_family(session, row.family_id, now)
        await session.commit()
        raise Unauthorized(_REFRESH_FAILED, slug="invalid-refresh-token")
    issued, new_id = await _issue(session, tokens, user, row.family_id, user_agent, ip)
    row.used_at = now
    row.replaced_by = new_id
    await session.flush()
    return issued


async def logout(
    session: AsyncSession,
    redis: Redis,
    *,
    refresh_token: str | None,
    principal: Principal | None,
) -> None:
    """Revoke the refresh-token family and deny-list the access token until it expires."""
    now = datetime.now(UTC)
    if refresh_token:
        row = await repository.get_refresh_token_for_update(
            session, hash_refresh_token(refresh_token)
        )
        if row is not None and (principal is None or str(row.user_id) == principal.user_id):
            await repository.revoke_family(session, row.family_id, now)
    if principal is not None and principal.session_id is not None:
        # the session's earlier access tokens (before the last refresh) end too
        await end_sessions(redis, [principal.session_id], principal.expires_at - now.timestamp())
    if principal is not None:
        ttl = principal.expires_at - int(now.timestamp())
        if ttl > 0:
            await redis.set(REVOKED_PREFIX + principal.jti, b"1", ex=ttl + 1)


async def end_sessions(redis: Redis, session_ids: list[str], ttl: float) -> None:
    """Deny every access token of these login sessions for `ttl` seconds (the longest any of
    them can still live); their refresh tokens are revoked in the database by the caller."""
    seconds = int(ttl) + 1
    if not session_ids or seconds <= 1:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for session_id in session_ids:
            pipe.set(REVOKED_SESSION_PREFIX + session_id, b"1", ex=seconds)
        await pipe.execute()
