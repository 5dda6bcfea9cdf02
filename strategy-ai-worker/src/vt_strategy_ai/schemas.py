"""Request and response models of the strategy AI worker (ChatReply, strategies, conversations)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

Intent = Literal["new", "modify", "question", "clarify", "unsupported", "refuse", "invalid", "code"]


class ChatRequest(BaseModel):
    message: str = Field(
        max_length=200_000,
        description="What the trader typed. Long messages are answered with a request to shorten them.",
    )
    conversation_id: uuid.UUID | None = Field(
        default=None, description="Continue this conversation (edits its strategy)."
    )
    strategy_id: uuid.UUID | None = Field(
        default=None,
        description="Without conversation_id: edit this strategy in words (the editor's panel); a conversation bound to it is started.",
    )


class DiffEntry(BaseModel):
    path: str = Field(
        description="Dotted path of the changed field, e.g. 'risk.stop_loss.percent'."
    )
    old: Any = None
    new: Any = None


class Violation(BaseModel):
    line: int
    col: int
    code: str
    message: str


class SafetyReport(BaseModel):
    ok: bool = Field(description="True when the generated code passed the sandbox's static checks.")
    checker: str = "vt_sandbox.check_code"
    code_generated: bool = Field(description="False when the spec has no single-symbol code form.")
    generated_from_spec: bool = Field(
        default=True,
        description="The code is generated deterministically from the validated spec, never written by the LLM.",
    )
    user_text_in_code: bool = Field(
        default=False,
        description="Names and descriptions are never written into the code; only validated numbers and enums.",
    )
    violations: list[Violation] = Field(default_factory=list)
    note: str | None = None


class IndicatorReading(BaseModel):
    id: str
    kind: str
    reading: str


class SignalFrequency(BaseModel):
    status: Literal["computed", "unavailable", "not_requested"]
    detail: str
    symbol: str | None = None
    bars: int | None = None
    years: float | None = None
    entries: int | None = None
    short_entries: int | None = None
    entries_per_year: float | None = None
    first_bar: datetime | None = None
    last_bar: datetime | None = None
    data_provider: str | None = None


class Explanation(BaseModel):
    summary: str
    rules: list[str] = Field(default_factory=list)
    expected_market_conditions: list[str] = Field(default_factory=list)
    risk_assumptions: list[str] = Field(default_factory=list)
    indicators: list[IndicatorReading] = Field(default_factory=list)
    signal_frequency: SignalFrequency
    market_insight: dict[str, Any] | None = Field(
        default=None,
        description="Latest market-research insight for the first symbol, when available.",
    )


class Usage(BaseModel):
    provider: str
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_ms: float
    attempts: int = 1


class ChatReply(BaseModel):
    conversation_id: uuid.UUID
    reply: str
    intent: Intent
    strategy_id: uuid.UUID | None = None
    version: int | None = None
    spec: dict[str, Any] | None = None
    code: str | None = None
    explanation: Explanation | None = None
    warnings: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    clarification: str | None = None
    diff: list[DiffEntry] = Field(default_factory=list)
    safety_report: SafetyReport | None = None
    usage: Usage | None = None


class StrategyUpdate(BaseModel):
    spec: dict[str, Any]
    name: str | None = Field(default=None, min_length=1, max_length=120)


class StrategyRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    current_version: int
    spec: dict[str, Any]
    spec_hash: str | None = None
    code: str | None = None
    explanation: dict[str, Any] | None = None
    safety_report: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class StrategySummary(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    current_version: int
    symbols: list[str]
    timeframe: str | None
    created_at: datetime
    updated_at: datetime


class StrategySaved(StrategyRead):
    warnings: list[str] = Field(default_factory=list)
    diff: list[DiffEntry] = Field(default_factory=list)


class VersionRead(BaseModel):
    version: int
    spec: dict[str, Any]
    spec_hash: str
    code: str | None
    explanation: dict[str, Any] | None
    safety_report: dict[str, Any] | None
    diff: list[DiffEntry] = Field(default_factory=list)
    source: str
    created_at: datetime


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class MessageRead(BaseModel):
    id: uuid.UUID
    role: str
    content: str
    payload: dict[str, Any] | None
    strategy_version_id: uuid.UUID | None
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: float | None
    created_at: datetime


class ConversationRead(BaseModel):
    id: uuid.UUID
    title: str
    strategy_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    messages: list[MessageRead]
