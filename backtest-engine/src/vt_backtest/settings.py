"""Settings of the backtest engine service."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, model_validator

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by backtest-engine (see .env.example)."""

    service_name: ClassVar[str] = "backtest-engine"
    port: int = Field(default=8002, validation_alias=AliasChoices("BACKTEST_ENGINE_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "BACKTEST_ENGINE_HOST")
    )

    backtest_workers: int = Field(
        default=1,
        ge=0,
        le=64,
        alias="BACKTEST_WORKERS",
        description="Worker processes this replica runs next to its API (0: API only).",
    )
    claim_idle_ms: int = Field(
        default=30_000,
        ge=100,
        alias="BACKTEST_CLAIM_IDLE_MS",
        description="A pending job whose lease was not renewed for this long is reclaimed.",
    )
    heartbeat_ms: int = Field(
        default=5_000,
        ge=20,
        alias="BACKTEST_HEARTBEAT_MS",
        description="How often a busy worker renews the lease of its job.",
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        alias="BACKTEST_MAX_ATTEMPTS",
        description="Deliveries of one job before it is failed as poison.",
    )
    stream_maxlen: int = Field(default=100_000, ge=100, alias="BACKTEST_STREAM_MAXLEN")
    run_time_limit_s: float = Field(
        default=900.0,
        gt=0,
        alias="BACKTEST_RUN_TIME_LIMIT",
        description="Seconds one run may compute (data loading included); past it the run is "
        "stopped at its next progress step and failed with a problem that says so.",
    )
    max_active_runs_per_user: int = Field(
        default=8,
        ge=1,
        le=10_000,
        alias="BACKTEST_MAX_ACTIVE_RUNS_PER_USER",
        description="Runs one user may have queued or running at once; more answer 429, so one "
        "user's flood cannot starve the others' runs.",
    )
    market_data_timeout_s: float = Field(default=60.0, gt=0, alias="BACKTEST_MARKET_DATA_TIMEOUT")
    sandbox_cpu_seconds: float = Field(default=10.0, gt=0, alias="BACKTEST_SANDBOX_CPU_SECONDS")
    sandbox_wall_seconds: float = Field(default=30.0, gt=0, alias="BACKTEST_SANDBOX_WALL_SECONDS")
    sandbox_zygote: Literal["auto", "required", "off"] = Field(
        default="auto",
        alias="VT_SANDBOX_ZYGOTE",
        description="Custom code runs in children forked from a pre-loaded zygote; 'auto' falls "
        "back to a fresh interpreter per run if the zygote cannot start, 'required' fails "
        "instead, 'off' always starts a fresh interpreter (slow; for diagnosis).",
    )
    warmup: bool = Field(
        default=True,
        alias="BACKTEST_WARMUP",
        description="Compile the engine's numba kernels before a worker takes jobs.",
    )
    compute: str | None = Field(
        default=None,
        alias="BACKTEST_COMPUTE",
        description="'module:function' replacing the engine call (test seam; leave unset).",
    )
    progress_interval_s: float = Field(default=0.25, gt=0, alias="BACKTEST_PROGRESS_INTERVAL")

    @model_validator(mode="after")
    def _check_lease(self) -> Settings:
        if self.heartbeat_ms * 2 > self.claim_idle_ms:
            raise ValueError(
                "BACKTEST_HEARTBEAT_MS must be at most half of BACKTEST_CLAIM_IDLE_MS, "
                "or busy workers lose their jobs to reclaim"
            )
        return self
