"""Request dependencies of the trading service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from vt_kit import InternalAuth
from vt_kit.problems import BadRequest
from vt_trading.context import TradingContext

INTERNAL = [InternalAuth]


def acting_user(
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> uuid.UUID:
    """The user the gateway acts for; every row is scoped to them."""
    if not x_user_id:
        raise BadRequest("X-User-Id is required: trading objects always belong to a user.")
    try:
        return uuid.UUID(x_user_id)
    except ValueError:
        raise BadRequest("X-User-Id must be a UUID.") from None


def trading_context(request: Request) -> TradingContext:
    ctx: TradingContext = request.app.state.trading
    return ctx


UserId = Annotated[uuid.UUID, Depends(acting_user)]
CtxDep = Annotated[TradingContext, Depends(trading_context)]
