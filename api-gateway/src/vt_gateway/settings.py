"""Settings of the API gateway service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by api-gateway (see .env.example)."""

    service_name: str = "api-gateway"
    port: int = Field(default=8000, validation_alias=AliasChoices("GATEWAY_PORT", "PORT"))
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "GATEWAY_HOST"))
