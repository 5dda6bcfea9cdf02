"""Chat bodies."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatRequest(BaseModel):
    """One chat turn."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "message": "Buy SPY when the 20-day SMA crosses above the 50-day, sell on the cross back."
                },
                {
                    "message": "Add a 5% stop loss",
                    "conversation_id": "8d1f0c44-2a7e-4c8b-9a44-0f7c1d2e3b4a",
                },
            ]
        },
    )

    message: str = Field(
        min_length=1, max_length=8000, description="What you want, in plain language."
    )
    conversation_id: uuid.UUID | None = Field(
        default=None, description="Continue this conversation; omit to start a new one."
    )


class ChatReply(BaseModel):
    """The assistant's answer to one turn."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "conversation_id": "8d1f0c44-2a7e-4c8b-9a44-0f7c1d2e3b4a",
                    "reply": "Here is a 20/50 SMA crossover on SPY ...",
                    "strategy_id": "0b7e3d2a-3c1f-4c55-9d1e-8f6a1b2c3d4e",
                    "version": 1,
                    "spec": {"name": "SPY 20/50 SMA crossover"},
                    "warnings": [],
                    "clarification": None,
                }
            ]
        },
    )

    conversation_id: str
    reply: str
    strategy_id: str | None = None
    version: int | None = None
    spec: dict[str, Any] | None = Field(
        default=None, description="The StrategySpec, or null when none could be built."
    )
    code: str | None = None
    explanation: Any = None
    warnings: list[Any] = Field(default_factory=list)
    clarification: str | None = Field(default=None, description="The question asked back, or null.")
    diff: Any = None
    safety_report: Any = None
