"""Shared request dependencies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from vt_kit.problems import Unprocessable
from vt_market_data.ohlcv.service import MarketData


def get_md(request: Request) -> MarketData:
    md: MarketData = request.app.state.md
    return md


def optional_user(
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> uuid.UUID | None:
    if not x_user_id:
        return None
    try:
        return uuid.UUID(x_user_id)
    except ValueError as exc:
        raise Unprocessable(f"X-User-Id '{x_user_id}' is not a UUID.") from exc


MdDep = Annotated[MarketData, Depends(get_md)]
OptionalUser = Annotated[uuid.UUID | None, Depends(optional_user)]
