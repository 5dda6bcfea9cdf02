"""User profile and settings (stored in users.settings; API keys encrypted, never echoed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import User
from vt_gateway.auth import repository
from vt_gateway.auth.schemas import UserRead, UserSettingsRead
from vt_gateway.pagination import PageParams, decode_cursor, encode_cursor
from vt_gateway.security import SecretBox
from vt_gateway.settings import Settings
from vt_gateway.users.schemas import UserPage, UserSettingsUpdate
from vt_kit import BadRequest, NotFound

_PUBLIC_KEYS = (
    "default_initial_capital",
    "default_commission",
    "default_slippage",
    "llm_provider",
    "llm_model",
)
_API_KEY = "llm_api_key_encrypted"


def to_read(user: User, _settings: Settings | None = None) -> UserRead:
    stored: dict[str, Any] = user.settings or {}
    public = {k: stored.get(k) for k in _PUBLIC_KEYS}
    return UserRead(
        id=str(user.id),
        email=user.email,
        role="admin" if user.role == "admin" else "user",
        is_active=user.is_active,
        disabled_at=user.disabled_at,
        created_at=user.created_at,
        settings=UserSettingsRead(**public, has_llm_api_key=bool(stored.get(_API_KEY))),
    )


def unregistered_read(email: str) -> UserRead:
    """The body `POST /auth/register` answers for an e-mail that already has an account: the same
    shape as a new account's, with nothing of the existing account in it (a fresh, unused id)."""
    return UserRead(
        id=str(uuid.uuid4()),
        email=email,
        role="user",
        is_active=True,
        created_at=datetime.now(UTC),
        settings=UserSettingsRead(**dict.fromkeys(_PUBLIC_KEYS), has_llm_api_key=False),
    )


async def get_me(session: AsyncSession, user_id: str) -> User:
    user = await repository.get_user(session, uuid.UUID(user_id))
    if user is None or not user.is_active:
        raise NotFound("Your account no longer exists or is disabled.")
    return user


async def update_settings(
    session: AsyncSession, user: User, update: UserSettingsUpdate, box: SecretBox
) -> User:
    stored: dict[str, Any] = dict(user.settings or {})
    for key in update.model_fields_set:
        if key == "llm_api_key":
            if update.llm_api_key is None:
                stored.pop(_API_KEY, None)
            else:
                stored[_API_KEY] = box.encrypt(update.llm_api_key.get_secret_value())
        else:
            stored[key] = getattr(update, key)
    await repository.set_user_settings(session, user, stored)
    return user


async def list_users(session: AsyncSession, page: PageParams) -> UserPage:
    if page.sort not in (None, "created_at", "-created_at"):
        raise BadRequest("Users can be sorted by created_at or -created_at only.")
    descending = page.sort != "created_at"
    after = None
    if page.cursor:
        values = decode_cursor(page.cursor)
        try:
            after = (datetime.fromisoformat(str(values[0])), uuid.UUID(str(values[1])))
        except (ValueError, IndexError) as exc:
            raise BadRequest("The cursor is not valid: pass next_cursor unchanged.") from exc
    rows = await repository.list_users(
        session, limit=page.limit, after=after, descending=descending
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = (
        encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)])
        if more and rows
        else None
    )
    return UserPage(items=[to_read(u) for u in rows], next_cursor=next_cursor)
