"""Keyset pagination shared by every list: `limit`, `cursor`, `sort` -> `{items, next_cursor}`."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, Uuid, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from vt_kit.problems import BadRequest

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def parse_sort(sort: str | None, allowed: Sequence[str], default: str) -> tuple[str, bool]:
    """(field, descending) from `field` or `-field`."""
    value = sort or default
    desc = value.startswith("-")
    name = value.lstrip("-+")
    if name not in allowed:
        raise BadRequest(
            f"sort '{value}' is not supported; use one of "
            + ", ".join(f"{a} or -{a}" for a in allowed)
        )
    return name, desc


def _encode(value: Any, row_id: Any) -> str:
    v = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([v, str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, is_time: bool) -> tuple[Any, uuid.UUID | int]:
    """(sort value, row id) of a cursor; anything we did not issue is a 400, never a 500."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, raw_id = json.loads(raw)
        if not isinstance(raw_id, str):
            raise TypeError("row id")
        row_id: uuid.UUID | int = uuid.UUID(raw_id) if "-" in raw_id else int(raw_id)
        if is_time:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive timestamp")
        return value, row_id
    except (ValueError, TypeError, OverflowError):
        raise BadRequest(
            "cursor is not valid; pass back next_cursor from the previous page unchanged"
        ) from None


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    limit: int,
    cursor: str | None,
    descending: bool,
) -> tuple[list[Any], str | None]:
    """Rows of `stmt` (a select of one entity) after `cursor`, ordered by (column, id)."""
    is_time = True
    if cursor:
        value, row_id = _decode(cursor, is_time)
        expected = uuid.UUID if isinstance(id_column.type, Uuid) else int
        if not isinstance(row_id, expected) or (
            isinstance(row_id, int) and not 0 <= row_id < 2**63
        ):
            raise BadRequest(
                "cursor belongs to another list; pass back next_cursor from this list's last page"
            )
        if descending:
            stmt = stmt.where(or_(column < value, and_(column == value, id_column < row_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, id_column > row_id)))
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(getattr(last, column.key), getattr(last, id_column.key))
    return rows, next_cursor
