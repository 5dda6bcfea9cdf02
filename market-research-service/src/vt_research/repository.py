"""Queries on `research_summaries` (the journal of every insight this service produced)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts import Insight
from vt_db.models import ResearchSummary
from vt_kit import Unprocessable

SORTS = {"created_at", "-created_at", "as_of", "-as_of"}


def encode_cursor(value: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([value.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(value), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise Unprocessable(
            "cursor is not one this service issued; pass next_cursor from the previous page unchanged."
        ) from exc


async def journal(session: AsyncSession, insight: Insight, scope: str) -> ResearchSummary:
    row = ResearchSummary(
        symbol=insight.symbol,
        scope=scope,
        as_of=insight.as_of,
        insight=insight.model_dump(mode="json"),
    )
    session.add(row)
    await session.flush()
    return row


async def latest(session: AsyncSession, symbol: str, since: datetime) -> ResearchSummary | None:
    """Newest journaled insight of `symbol` created at or after `since`."""
    stmt = (
        select(ResearchSummary)
        .where(ResearchSummary.symbol == symbol, ResearchSummary.created_at >= since)
        .order_by(ResearchSummary.created_at.desc(), ResearchSummary.id.desc())
        .limit(1)
    )
    result: ResearchSummary | None = (await session.execute(stmt)).scalar_one_or_none()
    return result


async def history(
    session: AsyncSession,
    *,
    symbol: str | None,
    scope: str | None,
    limit: int,
    cursor: str | None,
    sort: str,
) -> tuple[list[ResearchSummary], str | None]:
    field = sort.lstrip("-")
    desc = sort.startswith("-")
    col: Any = ResearchSummary.created_at if field == "created_at" else ResearchSummary.as_of
    stmt = select(ResearchSummary)
    if symbol is not None:
        stmt = stmt.where(ResearchSummary.symbol == symbol)
    if scope is not None:
        stmt = stmt.where(ResearchSummary.scope == scope)
    if cursor:
        value, row_id = decode_cursor(cursor)
        if desc:
            stmt = stmt.where(or_(col < value, and_(col == value, ResearchSummary.id < row_id)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, ResearchSummary.id > row_id)))
    order = (
        (col.desc(), ResearchSummary.id.desc()) if desc else (col.asc(), ResearchSummary.id.asc())
    )
    rows = list((await session.execute(stmt.order_by(*order).limit(limit + 1))).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, field), last.id)
    return rows, next_cursor
