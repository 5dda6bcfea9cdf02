"""All SQL of the worker's tables: strategies, strategy_versions, conversations, messages.
Repositories flush; only the request dependency commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import Conversation, ConversationMessage, Strategy, StrategyVersion


async def get_strategy(
    session: AsyncSession, user_id: uuid.UUID, strategy_id: uuid.UUID, *, lock: bool = False
) -> Strategy | None:
    """The user's live strategy; `lock` takes a row lock so concurrent edits queue up instead of
    racing for the same version number."""
    q = select(Strategy).where(
        Strategy.id == strategy_id, Strategy.user_id == user_id, Strategy.deleted_at.is_(None)
    )
    if lock:
        q = q.with_for_update()
    row: Strategy | None = await session.scalar(q)
    return row


async def get_version(
    session: AsyncSession, strategy_id: uuid.UUID, version: int
) -> StrategyVersion | None:
    row = await session.scalar(
        select(StrategyVersion).where(
            StrategyVersion.strategy_id == strategy_id, StrategyVersion.version == version
        )
    )
    return row


async def list_versions(
    session: AsyncSession, strategy_id: uuid.UUID, *, limit: int, before: int | None
) -> list[StrategyVersion]:
    q = select(StrategyVersion).where(StrategyVersion.strategy_id == strategy_id)
    if before is not None:
        q = q.where(StrategyVersion.version < before)
    rows = await session.scalars(q.order_by(StrategyVersion.version.desc()).limit(limit))
    return list(rows)


SORTS = {"created_at", "updated_at", "name"}


async def list_strategies(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    sort: str,
    after: tuple[Any, uuid.UUID] | None,
    name: str | None,
) -> list[Strategy]:
    desc = sort.startswith("-")
    field = sort.lstrip("-")
    col = {
        "created_at": Strategy.created_at,
        "updated_at": Strategy.updated_at,
        "name": Strategy.name,
    }[field]
    q = select(Strategy).where(Strategy.user_id == user_id, Strategy.deleted_at.is_(None))
    if name:
        q = q.where(func.lower(Strategy.name).contains(name.lower(), autoescape=True))
    if after is not None:
        value, last_id = after
        if desc:
            q = q.where(or_(col < value, and_(col == value, Strategy.id < last_id)))
        else:
            q = q.where(or_(col > value, and_(col == value, Strategy.id > last_id)))
    order = (col.desc(), Strategy.id.desc()) if desc else (col.asc(), Strategy.id.asc())
    rows = await session.scalars(q.order_by(*order).limit(limit))
    return list(rows)


async def add_strategy(session: AsyncSession, strategy: Strategy) -> Strategy:
    session.add(strategy)
    await session.flush()
    await session.refresh(strategy)
    return strategy


async def add_version(session: AsyncSession, version: StrategyVersion) -> StrategyVersion:
    session.add(version)
    await session.flush()
    await session.refresh(version)
    return version


async def soft_delete(session: AsyncSession, strategy: Strategy) -> None:
    strategy.deleted_at = datetime.now(UTC)
    await session.flush()


async def touch(session: AsyncSession, *rows: object) -> None:
    """Flush changes and reload server-side values (updated_at)."""
    await session.flush()
    for row in rows:
        await session.refresh(row)


async def get_conversation(
    session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> Conversation | None:
    row = await session.scalar(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.user_id == user_id
        )
    )
    return row


async def add_conversation(session: AsyncSession, conversation: Conversation) -> Conversation:
    session.add(conversation)
    await session.flush()
    await session.refresh(conversation)
    return conversation


async def add_message(session: AsyncSession, message: ConversationMessage) -> ConversationMessage:
    session.add(message)
    await session.flush()
    await session.refresh(message)
    return message


async def messages_of(
    session: AsyncSession, conversation_id: uuid.UUID, *, limit: int = 500
) -> list[ConversationMessage]:
    rows = await session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.conversation_id == conversation_id)
        .order_by(ConversationMessage.created_at.asc(), ConversationMessage.id.asc())
        .limit(limit)
    )
    return list(rows)


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    from vt_db.models import User

    return (
        await session.scalar(select(func.count()).select_from(User).where(User.id == user_id))
    ) == 1
