"""Settings of the market data service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by market-data-service (see .env.example)."""

    service_name: str = "market-data-service"
    port: int = Field(default=8003, validation_alias=AliasChoices("MARKET_DATA_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "MARKET_DATA_HOST")
    )
