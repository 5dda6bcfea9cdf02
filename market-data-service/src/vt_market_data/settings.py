"""Settings of the market data service."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr

from vt_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables read by market-data-service (see .env.example)."""

    service_name: ClassVar[str] = "market-data-service"
    port: int = Field(default=8003, validation_alias=AliasChoices("MARKET_DATA_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "MARKET_DATA_HOST")
    )
    data_dir: Path = Field(default=Path("var/data"), alias="VT_DATA_DIR")
    max_upload_bytes: int = Field(default=50_000_000, alias="VT_MAX_UPLOAD_BYTES")

    # upstream endpoints (override only to point at a mirror or a test stub)
    yfinance_base_url: str | None = Field(default=None, alias="VT_YFINANCE_BASE_URL")
    ccxt_api_base_url: str | None = Field(default=None, alias="VT_CCXT_API_BASE_URL")
    ccxt_default_exchange: str = Field(default="binance", alias="VT_CCXT_EXCHANGE")
    polygon_base_url: str = Field(default="https://api.polygon.io", alias="VT_POLYGON_BASE_URL")
    polygon_api_key: SecretStr = Field(default=SecretStr(""), alias="POLYGON_API_KEY")
    upstream_timeout_s: float = Field(default=20.0, alias="VT_MD_UPSTREAM_TIMEOUT")

    # protection (per provider)
    rate_limit_per_sec: float = Field(default=5.0, alias="VT_MD_RATE_PER_SEC")
    rate_limit_burst: float = Field(default=10.0, alias="VT_MD_RATE_BURST")
    retry_attempts: int = Field(default=3, alias="VT_MD_RETRY_ATTEMPTS")
    retry_base_delay_s: float = Field(default=0.2, alias="VT_MD_RETRY_BASE_DELAY")
    breaker_failures: int = Field(default=5, alias="VT_MD_BREAKER_FAILURES")
    breaker_reset_s: float = Field(default=30.0, alias="VT_MD_BREAKER_RESET")
    lock_timeout_s: float = Field(default=120.0, alias="VT_MD_LOCK_TIMEOUT")
