"""Settings base shared by every service (pydantic-settings, environment variables)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_INTERNAL_TOKEN = "dev-internal-token-change-me"
DEV_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/vibetrading"
DEV_REDIS_URL = "redis://127.0.0.1:6379/0"


class ServiceSettings(BaseSettings):
    """Settings every service reads. Subclass per service and add its own fields.

    Secrets are `SecretStr` so they never print. Outside `development`/`test`, default or empty
    secrets make start-up fail instead of running insecurely.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    environment: Literal["development", "test", "production"] = Field(
        default="development", alias="VT_ENV"
    )
    service_name: ClassVar[str] = "vibetrading"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    database_url: SecretStr = Field(default=SecretStr(DEV_DATABASE_URL), alias="DATABASE_URL")
    redis_url: SecretStr = Field(default=SecretStr(DEV_REDIS_URL), alias="REDIS_URL")
    internal_token: SecretStr = Field(default=SecretStr(DEV_INTERNAL_TOKEN), alias="INTERNAL_TOKEN")
    db_pool_size: int = Field(default=10, alias="DB_POOL_SIZE")

    market_data_url: str = Field(default="http://127.0.0.1:8003", alias="MARKET_DATA_URL")
    market_research_url: str = Field(default="http://127.0.0.1:8004", alias="MARKET_RESEARCH_URL")
    strategy_ai_url: str = Field(default="http://127.0.0.1:8001", alias="STRATEGY_AI_URL")
    backtest_engine_url: str = Field(default="http://127.0.0.1:8002", alias="BACKTEST_ENGINE_URL")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def secret_fields(self) -> dict[str, SecretStr]:
        """All secrets of these settings, by field name."""
        return {name: value for name, value in self if isinstance(value, SecretStr)}

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if self.is_production:
            if self.internal_token.get_secret_value() in ("", DEV_INTERNAL_TOKEN):
                raise ValueError("INTERNAL_TOKEN must be set to a long random value in production")
            for name, value in self.secret_fields().items():
                secret = value.get_secret_value()
                if not secret and name.endswith(("_secret", "_token")):
                    raise ValueError(f"{name.upper()} must be set in production")
                if "change-me" in secret:
                    raise ValueError(
                        f"{name.upper()} still holds the .env.example placeholder; set a real value"
                    )
        return self
