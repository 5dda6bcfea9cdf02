"""Response models of the market research service."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vt_contracts import Insight

SYMBOL_PATTERN = r"^[A-Za-z0-9^][A-Za-z0-9^:._/=\-]{0,63}$"


class InsightPage(BaseModel):
    """One page of journaled insights (the platform's list shape)."""

    items: list[Insight]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )
