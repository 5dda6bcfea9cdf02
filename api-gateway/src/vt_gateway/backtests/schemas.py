"""Backtest bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vt_contracts import (
    GateProfileName,
    GateThresholds,
    Problem,
    StrategySpec,
    SummaryStats,
    Timeframe,
    WalkForwardConfig,
)
from vt_contracts.strategy import Symbol

_CODE_ONLY = (
    "symbols",
    "timeframe",
    "start",
    "end",
    "initial_capital",
    "commission",
    "slippage",
    "fill",
    "size",
    "params",
)


class BacktestCreate(BaseModel):
    """Exactly one of `strategy_id`, `spec` or `code`. The code-only fields map onto
    `CodeStrategy` and are refused with the other two (a spec carries its own)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"strategy_id": "0b7e3d2a-3c1f-4c55-9d1e-8f6a1b2c3d4e"},
                {
                    "code": "def generate_signals(data, params):\n    fast = data['close'].rolling(10).mean()\n    slow = data['close'].rolling(30).mean()\n    return fast > slow, fast < slow\n",
                    "symbols": ["SAMPLE:AAPL"],
                    "timeframe": "1d",
                    "start": "2020-01-01",
                    "end": "2024-01-01",
                    "initial_capital": 10000,
                    "commission": 0.001,
                    "slippage": 0.0005,
                    "fill": "next_open",
                    "size": 1.0,
                    "params": {},
                },
            ]
        },
    )

    strategy_id: uuid.UUID | None = Field(
        default=None, description="Backtest one of your saved strategies (its current version)."
    )
    strategy_version: int | None = Field(
        default=None, ge=1, description="With strategy_id: a specific version."
    )
    spec: StrategySpec | None = Field(default=None, description="An inline StrategySpec.")
    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=100_000,
        description="Custom code defining generate_signals(data, params) -> (entries, exits); runs in the sandbox.",
    )
    symbols: list[Symbol] | None = Field(
        default=None, min_length=1, max_length=20, description="With code: symbols to run on."
    )
    timeframe: Timeframe | None = Field(
        default=None, description="With code: bar size (default 1d)."
    )
    start: date | None = None
    end: date | None = None
    initial_capital: float | None = Field(default=None, gt=0, le=1e12)
    commission: float | None = Field(
        default=None, ge=0, le=0.1, description="Fraction of traded value (0.001 = 0.1%)."
    )
    slippage: float | None = Field(default=None, ge=0, le=0.1, description="Fraction of price.")
    fill: Literal["next_open", "close"] | None = Field(
        default=None, description="'next_open' (default) or the labelled research shortcut 'close'."
    )
    size: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Fraction of equity per entry (default 1 = all of it).",
    )
    params: dict[str, Any] | None = Field(
        default=None, description="Parameters passed to generate_signals."
    )
    walk_forward: WalkForwardConfig | None = None
    gate_profile: GateProfileName | None = Field(
        default=None,
        description="Server-owned promotion gate profile that decides eligibility (strict if omitted).",
    )
    gates: GateThresholds | None = Field(
        default=None,
        description="What-if thresholds: reported as labelled `what_if_gates`, never used for eligibility.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> BacktestCreate:
        given = [n for n in ("strategy_id", "spec", "code") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of strategy_id, spec or code"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.code is None:
            extra = [n for n in _CODE_ONLY if getattr(self, n) is not None]
            if extra:
                raise ValueError(
                    f"{', '.join(extra)} only go with code; a spec carries its own universe, period and costs"
                )
        elif self.symbols is None:
            raise ValueError("with code, give the symbols to run it on")
        if self.strategy_version is not None and self.strategy_id is None:
            raise ValueError("strategy_version goes with strategy_id")
        return self


class BacktestCreated(BaseModel):
    """The run was queued; follow it with GET /backtest/{id} or its events."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "5a0c7e9e-6c43-4b8e-a7d4-1f0b2c3d4e5f"}]}
    )

    id: str


class BacktestRunSummary(BaseModel):
    """A run in a list: state and headline numbers (`summary`), without the heavy series."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float | None = None
    kind: Literal["spec", "code"] | None = None
    name: str | None = Field(default=None, description="Spec name (spec runs).")
    symbols: list[str] = Field(default_factory=list)
    strategy_id: str | None = None
    strategy_version: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: SummaryStats | None = Field(
        default=None,
        description="Headline stats (return, Sharpe, drawdown, trades) when succeeded.",
    )
    error: Problem | None = Field(default=None, description="The problem, when failed.")


class BacktestPage(BaseModel):
    items: list[BacktestRunSummary]
    next_cursor: str | None = None
