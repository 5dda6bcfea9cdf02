"""Settings of the market research service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by market-research-service (see .env.example)."""

    service_name: str = "market-research-service"
    port: int = Field(default=8004, validation_alias=AliasChoices("MARKET_RESEARCH_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "MARKET_RESEARCH_HOST")
    )
