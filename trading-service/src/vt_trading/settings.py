"""Settings of the trading service (one process per environment: paper or live)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by trading-service (see .env.example)."""

    service_name: ClassVar[str] = "trading-service"
    port: int = Field(default=8005, validation_alias=AliasChoices("TRADING_PORT", "PORT"))
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "TRADING_HOST"))

    trading_environment: Literal["paper", "live"] = Field(
        default="paper",
        alias="TRADING_ENVIRONMENT",
        description="Fixed per process: which schema, role and venues this process may touch.",
    )
    secrets_key: SecretStr | None = Field(
        default=None,
        alias="TRADING_SECRETS_KEY",
        description="Key material for broker credentials at rest; derived from INTERNAL_TOKEN when unset.",
    )
    runner_enabled: bool = Field(
        default=True,
        alias="TRADING_RUNNER",
        description="Run the signal runner in this replica (lease per account decides who trades).",
    )
    lease_ttl_s: float = Field(default=15.0, gt=0, alias="TRADING_LEASE_TTL")
    runner_poll_s: float = Field(
        default=2.0,
        gt=0,
        alias="TRADING_RUNNER_POLL",
        description="How often an idle runner looks for accounts without a live lease.",
    )
    reconcile_interval_s: float = Field(default=300.0, gt=0, alias="TRADING_RECONCILE_INTERVAL")
    stale_after_bars: float = Field(
        default=3.0,
        gt=0,
        alias="TRADING_STALE_AFTER_BARS",
        description="Live clock: newest bar older than this many bar lengths halts the signal step.",
    )
    gate_profile: Literal["strict", "relaxed"] = Field(
        default="strict",
        alias="TRADING_GATE_PROFILE",
        description="Server-owned promotion gate profile used when a deployment names none.",
    )
    crash_at: str | None = Field(
        default=None,
        alias="TRADING_TEST_CRASH_AT",
        description="Test seam: SIGKILL this process at a named point of the order path "
        "(after_submitting, after_broker). Leave unset.",
    )
    ccxt_api_base_url: str | None = Field(
        default=None,
        alias="TRADING_CCXT_API_BASE_URL",
        description="Replaces scheme and host of every ccxt exchange URL (the devstack's fake "
        "exchange, tests, a mirror). Unset: the exchange's own URLs (testnet in paper).",
    )
    upstream_timeout_s: float = Field(default=30.0, gt=0, alias="TRADING_UPSTREAM_TIMEOUT")

    @property
    def db_schema(self) -> str:
        return f"trading_{self.trading_environment}"

    @property
    def db_role(self) -> str:
        return f"vt_trading_{self.trading_environment}"
