"""Response models of the public API that are not shared contracts (contracts come from vt_contracts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class _Loose(BaseModel):
    """Tolerates fields added by newer gateways."""

    model_config = ConfigDict(extra="allow")


class Tokens(_Loose):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str | None = None


class UserSettings(_Loose):
    default_initial_capital: float | None = None
    default_commission: float | None = None
    default_slippage: float | None = None
    llm_provider: str | None = None
    llm_model: str | None = None
    has_llm_api_key: bool = False


class User(_Loose):
    id: str
    email: str
    role: str
    is_active: bool = True
    created_at: datetime | None = None
    settings: UserSettings = Field(default_factory=UserSettings)


class PersonalToken(_Loose):
    """A personal access token as listed (never the token itself, only its `prefix`)."""

    id: str
    name: str
    scopes: list[str]
    prefix: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None


class PersonalTokenCreated(PersonalToken):
    token: str  # shown once


class ChatReply(_Loose):
    conversation_id: str
    reply: str
    strategy_id: str | None = None
    version: int | None = None
    spec: dict[str, Any] | None = None
    code: str | None = None
    warnings: list[Any] = Field(default_factory=list)
    clarification: str | None = None


class Strategy(_Loose):
    id: str
    name: str | None = None
    description: str | None = None
    current_version: int | None = None
    spec: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class StrategyVersion(_Loose):
    version: int
    spec: dict[str, Any] | None = None
    code: str | None = None
    created_at: datetime | None = None


class RunSummary(_Loose):
    id: str
    status: str
    progress: float | None = None
    strategy_id: str | None = None
    created_at: datetime | None = None


class Page(_Loose):
    """One page of a list; pass `next_cursor` as `cursor` for the next."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


class SSEEvent(_Loose):
    event: str
    data: Any


T = TypeVar("T")


class TradingPage(BaseModel, Generic[T]):
    """A page of a trading list; `unavailable` names an environment whose service did not answer."""

    items: list[T]
    next_cursor: str | None = None
    unavailable: list[str] = []
