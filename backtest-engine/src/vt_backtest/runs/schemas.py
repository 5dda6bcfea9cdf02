"""Request and response models of the runs routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vt_contracts import (
    CodeStrategy,
    GateProfileName,
    GateThresholds,
    Problem,
    RunStatus,
    StrategySpec,
    SummaryStats,
    WalkForwardConfig,
)

_WF_KEY = re.compile(r"^([a-z][a-z0-9_]{0,39})\.([a-z_]+)$")


class CreateRun(BaseModel):
    """Ask for a backtest: exactly one of `spec` (a StrategySpec) or `code` (a custom-code strategy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: StrategySpec | None = Field(default=None, description="The strategy to backtest.")
    code: CodeStrategy | None = Field(
        default=None, description="A custom-code strategy (runs only in the sandbox)."
    )
    strategy_id: UUID | None = Field(
        default=None, description="Saved strategy this run belongs to (optional)."
    )
    strategy_version: int | None = Field(
        default=None, ge=1, description="Version of the saved strategy (optional)."
    )
    walk_forward: WalkForwardConfig | None = Field(
        default=None, description="Walk-forward validation (spec runs only)."
    )
    gate_profile: GateProfileName = Field(
        default="strict",
        description="Server-owned gate profile that decides eligibility ('strict' or 'relaxed').",
    )
    gates: GateThresholds | None = Field(
        default=None,
        description="What-if thresholds: evaluated into `what_if_gates` (labelled), never used for eligibility.",
    )

    @model_validator(mode="after")
    def _check(self) -> CreateRun:
        if (self.spec is None) == (self.code is None):
            raise ValueError(
                "give exactly one of `spec` (a StrategySpec) or `code` (a custom-code strategy)"
            )
        today = datetime.now(UTC).date()
        start = self.spec.period.start if self.spec else self.code.start if self.code else None
        if start is not None and start > today:
            raise ValueError(
                f"the backtest period starts in the future ({start}); choose a start on or before {today}"
            )
        if self.walk_forward is not None:
            if self.spec is None:
                raise ValueError(
                    "walk_forward needs a `spec`: custom-code strategies cannot be re-optimised"
                )
            self._check_walk_forward(self.spec, self.walk_forward)
        if self.strategy_version is not None and self.strategy_id is None:
            raise ValueError("strategy_version needs strategy_id")
        return self

    @staticmethod
    def _check_walk_forward(spec: StrategySpec, wf: WalkForwardConfig) -> None:
        if not wf.parameters:
            raise ValueError("walk_forward.parameters is empty; give at least one grid to search")
        indicators = {ind.id: ind for ind in spec.indicators}
        for key, values in wf.parameters.items():
            m = _WF_KEY.match(key)
            if m is None:
                raise ValueError(
                    f"walk_forward.parameters key '{key}' must look like 'indicator_id.field' (e.g. 'fast.window')"
                )
            ind_id, fld = m.groups()
            if ind_id not in indicators:
                raise ValueError(
                    f"walk_forward.parameters key '{key}' names indicator '{ind_id}', which the spec does not define (defined: {sorted(indicators) or 'none'})"
                )
            if fld not in type(indicators[ind_id]).model_fields or fld in ("id", "kind", "symbol"):
                raise ValueError(
                    f"walk_forward.parameters key '{key}': indicator '{ind_id}' has no tunable field '{fld}'"
                )
            if not values:
                raise ValueError(f"walk_forward.parameters['{key}'] lists no values")


class RunCreated(BaseModel):
    id: str = Field(description="Id of the new run; poll GET /runs/{id} or subscribe to events.")
    status: RunStatus = "queued"


class RunSummary(BaseModel):
    """A run in a list: state and headline numbers, without the heavy series."""

    id: str
    status: RunStatus
    progress: float
    kind: Literal["spec", "code"]
    name: str | None = Field(default=None, description="Spec name (spec runs).")
    symbols: list[str] = Field(default_factory=list)
    strategy_id: str | None = None
    strategy_version: int | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    run_hash: str | None = None
    summary: SummaryStats | None = Field(default=None, description="Headline stats when succeeded.")
    error: Problem | None = None


class RunPage(BaseModel):
    items: list[RunSummary]
    next_cursor: str | None = None
