"""Strategy bodies (the strategy-ai-worker owns strategies; the gateway documents the shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vt_contracts import StrategySpec


class StrategyUpdate(BaseModel):
    """Save an edited spec as a new version."""

    model_config = ConfigDict(extra="forbid")

    spec: StrategySpec
    name: str | None = Field(default=None, min_length=1, max_length=200)


class StrategyRead(BaseModel):
    """One strategy with its current spec."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7e3d2a-3c1f-4c55-9d1e-8f6a1b2c3d4e",
                    "name": "SPY 20/50 SMA crossover",
                    "current_version": 2,
                    "spec": {"name": "SPY 20/50 SMA crossover", "universe": {"symbols": ["SPY"]}},
                    "created_at": "2026-01-02T03:04:05Z",
                    "updated_at": "2026-01-03T03:04:05Z",
                }
            ]
        },
    )

    id: str
    name: str | None = None
    description: str | None = None
    current_version: int | None = None
    spec: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class StrategyVersionRead(BaseModel):
    """One saved version: spec, generated code, explanation, diff against the previous version."""

    model_config = ConfigDict(extra="allow")

    version: int
    spec: dict[str, Any] | None = None
    code: str | None = None
    explanation: Any = None
    diff: Any = None
    created_at: datetime | None = None


class StrategyPage(BaseModel):
    items: list[StrategyRead]
    next_cursor: str | None = None


class StrategyVersionPage(BaseModel):
    items: list[StrategyVersionRead]
    next_cursor: str | None = None


class ConversationRead(BaseModel):
    """A chat conversation with its messages."""

    model_config = ConfigDict(extra="allow")

    id: str
    strategy_id: str | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)
