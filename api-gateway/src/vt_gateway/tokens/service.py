"""Create, list and revoke personal access tokens; turn a presented token into a Principal.

A token is `vtp_` + 32 random bytes (url-safe base64): the prefix makes a leaked token easy to
recognise (secret scanners, logs) and lets the gateway tell it from a JWT without trying both.
Only its sha256 is stored: with 256 bits of entropy a fast hash is enough (no salt or slow KDF
needed, unlike passwords), and the lookup stays one indexed equality per request.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_db.models import PersonalAccessToken, User
from vt_gateway.deps import PERSONAL_TOKEN_PREFIX, Principal
from vt_gateway.tokens.schemas import TokenCreate, TokenCreated, TokenRead
from vt_gateway.tokens.scopes import Scope
from vt_kit import NotFound, Unauthorized

PREFIX = PERSONAL_TOKEN_PREFIX
SHOWN_PREFIX = 12  # "vtp_" + 8 characters: enough to tell tokens apart, useless to an attacker
# writing last_used_at on every request would turn each read into a write: once a minute is enough
TOUCH_EVERY = timedelta(minutes=1)

_INVALID = (
    "This personal access token is unknown or was revoked. Create a new one "
    "(POST /api/v1/users/me/tokens, or `vt token create`) and update VT_TOKEN."
)


def is_personal_token(token: str) -> bool:
    return token.startswith(PREFIX)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def to_read(row: PersonalAccessToken) -> TokenRead:
    return TokenRead(
        id=str(row.id),
        name=row.name,
        scopes=[cast(Scope, s) for s in row.scopes],  # the table's CHECK allows these only
        prefix=row.token_prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


async def create(session: AsyncSession, user_id: str, body: TokenCreate) -> TokenCreated:
    token = new_token()
    row = PersonalAccessToken(
        user_id=uuid.UUID(user_id),
        name=body.name,
        scopes=sorted(set(body.scopes)),
        token_hash=hash_token(token),
        token_prefix=token[:SHOWN_PREFIX],
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return TokenCreated(**to_read(row).model_dump(), token=token)


async def list_active(session: AsyncSession, user_id: str) -> list[TokenRead]:
    result = await session.execute(
        select(PersonalAccessToken)
        .where(
            PersonalAccessToken.user_id == uuid.UUID(user_id),
            PersonalAccessToken.revoked_at.is_(None),
        )
        .order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id.desc())
    )
    return [to_read(row) for row in result.scalars()]


async def revoke(session: AsyncSession, user_id: str, token_id: uuid.UUID) -> None:
    result = await session.execute(
        update(PersonalAccessToken)
        .where(
            PersonalAccessToken.id == token_id,
            PersonalAccessToken.user_id == uuid.UUID(user_id),
            PersonalAccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(
            "No active token of yours has this id: list them with GET /api/v1/users/me/tokens."
        )


async def authenticate(sessions: async_sessionmaker[AsyncSession], token: str) -> Principal:
    """The principal (with its scopes) of a presented token; 401 when unknown, revoked or its owner is
    disabled. One indexed lookup (and, at most once a minute, a `last_used_at` write)."""
    async with sessions() as session:
        result = await session.execute(
            select(PersonalAccessToken, User.role, User.is_active)
            .join(User, User.id == PersonalAccessToken.user_id)
            .where(
                PersonalAccessToken.token_hash == hash_token(token),
                PersonalAccessToken.revoked_at.is_(None),
            )
        )
        found = result.one_or_none()
        if found is None or not found[2]:
            raise Unauthorized(
                _INVALID,
                slug="invalid-token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        row, role = found[0], found[1]
        now = datetime.now(UTC)
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            await session.execute(
                update(PersonalAccessToken)
                .where(PersonalAccessToken.id == row.id)
                .values(last_used_at=now)
            )
            await session.commit()
        return Principal(
            user_id=str(row.user_id),
            role=role,
            jti=f"pat:{row.id}",
            expires_at=0,
            via_cookie=False,
            scopes=frozenset(row.scopes),
        )
