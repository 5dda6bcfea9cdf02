"""Queries on users and auth_tokens (the gateway's own tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import AuthToken, User


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(func.lower(User.email) == email.lower()))
    return result.scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def add_user(
    session: AsyncSession, email: str, password_hash: str, role: str = "user"
) -> User:
    user = User(email=email, password_hash=password_hash, role=role, settings={})
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return user


async def set_password_hash(session: AsyncSession, user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    await session.flush()


async def set_user_settings(session: AsyncSession, user: User, settings: dict[str, Any]) -> None:
    user.settings = settings
    await session.flush()
    await session.refresh(user)


async def set_role(session: AsyncSession, email: str, role: str) -> bool:
    result = await session.execute(
        update(User).where(func.lower(User.email) == email.lower()).values(role=role)
    )
    return bool(getattr(result, "rowcount", 0))


async def list_users(
    session: AsyncSession, *, limit: int, after: tuple[datetime, uuid.UUID] | None, descending: bool
) -> list[User]:
    query = select(User)
    if after is not None:
        key = (User.created_at, User.id)
        from sqlalchemy import tuple_

        cmp = tuple_(*key) < tuple_(*after) if descending else tuple_(*key) > tuple_(*after)
        query = query.where(cmp)
    order = (User.created_at.desc(), User.id.desc()) if descending else (User.created_at, User.id)
    result = await session.execute(query.order_by(*order).limit(limit + 1))
    return list(result.scalars())


async def add_refresh_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
    user_agent: str | None,
    ip: str | None,
) -> AuthToken:
    row = AuthToken(
        user_id=user_id,
        family_id=family_id,
        token_hash=token_hash,
        kind="refresh",
        expires_at=expires_at,
        user_agent=user_agent[:512] if user_agent else None,
        ip=ip[:64] if ip else None,
    )
    session.add(row)
    await session.flush()
    return row


async def get_refresh_token_for_update(session: AsyncSession, token_hash: str) -> AuthToken | None:
    """Lock the row so two concurrent refreshes with one token cannot both succeed."""
    result = await session.execute(
        select(AuthToken)
        .where(AuthToken.token_hash == token_hash, AuthToken.kind == "refresh")
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(AuthToken)
        .where(AuthToken.family_id == family_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def list_live_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[tuple[AuthToken, datetime]]:
    """The live head of each of a user's login sessions (the one unused, unrevoked, unexpired
    refresh token of its family) with the time the session began, newest activity first."""
    started = (
        select(AuthToken.family_id, func.min(AuthToken.created_at).label("started_at"))
        .where(AuthToken.user_id == user_id, AuthToken.kind == "refresh")
        .group_by(AuthToken.family_id)
        .subquery()
    )
    result = await session.execute(
        select(AuthToken, started.c.started_at)
        .join(started, started.c.family_id == AuthToken.family_id)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.kind == "refresh",
            AuthToken.used_at.is_(None),
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > now,
        )
        .order_by(AuthToken.created_at.desc(), AuthToken.id.desc())
    )
    return [(row, started_at) for row, started_at in result.tuples()]


async def revoke_user_family(
    session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
) -> bool:
    """Revoke one live session of this user; False when it is not theirs or not live."""
    result = await session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.family_id == family_id,
            AuthToken.revoked_at.is_(None),
            AuthToken.used_at.is_(None),
            AuthToken.expires_at > now,
        )
        .values(revoked_at=now)
    )
    if not getattr(result, "rowcount", 0):
        return False
    await revoke_family(session, family_id, now)
    return True


async def revoke_user_families(
    session: AsyncSession,
    user_id: uuid.UUID,
    now: datetime,
    *,
    keep: uuid.UUID | None = None,
) -> None:
    """Revoke every refresh token of the user, except those of the family `keep`."""
    query = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if keep is not None:
        query = query.where(AuthToken.family_id != keep)
    await session.execute(query.values(revoked_at=now))


async def recent_families(
    session: AsyncSession, user_id: uuid.UUID, since: datetime
) -> list[uuid.UUID]:
    """Families that issued a token since `since`: only these can have unexpired access tokens
    (an access token is issued exactly when a refresh token is)."""
    result = await session.execute(
        select(AuthToken.family_id)
        .where(AuthToken.user_id == user_id, AuthToken.created_at > since)
        .distinct()
    )
    return list(result.scalars())


async def set_disabled(session: AsyncSession, user: User, disabled_at: datetime | None) -> None:
    user.disabled_at = disabled_at
    user.is_active = disabled_at is None
    await session.flush()
    await session.refresh(user)
