"""Bodies of /users/me/tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vt_gateway.tokens.scopes import Scope


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "claude-desktop", "scopes": ["read", "backtest"]}]
        },
    )

    name: str = Field(
        min_length=1, max_length=100, description="What the token is for (shown in the list)."
    )
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=3,
        description="`read` (strategies, backtests, market data, paper deployments), `backtest` "
        "(chat strategies, edit them, run backtests), `paper` (deploy to paper). No scope reaches "
        "live trading, accounts or credentials.",
    )


class TokenRead(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None = None


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself. Shown once: store it now.")


class TokenList(BaseModel):
    items: list[TokenRead]
