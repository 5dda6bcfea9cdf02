"""Settings of the strategy AI worker service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by strategy-ai-worker (see .env.example)."""

    service_name: str = "strategy-ai-worker"
    port: int = Field(default=8001, validation_alias=AliasChoices("STRATEGY_AI_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "STRATEGY_AI_HOST")
    )
