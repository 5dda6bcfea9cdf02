"""Settings of the backtest engine service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by backtest-engine (see .env.example)."""

    service_name: str = "backtest-engine"
    port: int = Field(default=8002, validation_alias=AliasChoices("BACKTEST_ENGINE_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "BACKTEST_ENGINE_HOST")
    )
