"""One list shape for every collection: `limit`, `cursor`, `sort` -> `{items, next_cursor}`."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict

from vt_kit import BadRequest


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None
    sort: str | None

    def as_query(self) -> dict[str, Any]:
        return {"limit": self.limit, "cursor": self.cursor, "sort": self.sort}


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (1-100).")] = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="Opaque cursor from the previous page's next_cursor."),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^-?[a-z_]{1,60}$",
            description="A field name, '-' prefix for descending (e.g. -created_at).",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit, cursor, sort)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel):
    """A page of a list; pass `next_cursor` back as `cursor` for the next one (null: last page)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})

    items: list[dict[str, Any]]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadRequest(
            "The cursor is not valid: pass next_cursor from the previous page unchanged."
        ) from exc
    if not isinstance(values, list):
        raise BadRequest(
            "The cursor is not valid: pass next_cursor from the previous page unchanged."
        )
    return values
