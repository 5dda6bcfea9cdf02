"""Settings of the API gateway service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import NoDecode

from vt_kit.settings import ServiceSettings

DEV_JWT_SECRET = "dev-jwt-secret-change-me-0123456789abcdef"


def _split(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(ServiceSettings):
    """Environment variables read by api-gateway (see .env.example)."""

    service_name: ClassVar[str] = "api-gateway"
    port: int = Field(default=8000, validation_alias=AliasChoices("GATEWAY_PORT", "PORT"))
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "GATEWAY_HOST"))

    # --- auth -------------------------------------------------------------------------------
    jwt_secret: SecretStr = Field(default=SecretStr(DEV_JWT_SECRET), alias="JWT_SECRET")
    jwt_issuer: str = Field(default="vibetrading", alias="JWT_ISSUER")
    access_token_ttl_seconds: int = Field(
        default=15 * 60, ge=1, le=24 * 3600, alias="ACCESS_TOKEN_TTL_SECONDS"
    )
    refresh_token_ttl_seconds: int = Field(
        default=14 * 24 * 3600, ge=1, le=365 * 24 * 3600, alias="REFRESH_TOKEN_TTL_SECONDS"
    )
    argon2_time_cost: int = Field(default=3, ge=1, le=20, alias="ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(default=65536, ge=1024, alias="ARGON2_MEMORY_KIB")
    argon2_parallelism: int = Field(default=4, ge=1, le=16, alias="ARGON2_PARALLELISM")
    user_secrets_key: SecretStr | None = Field(
        default=None,
        alias="USER_SECRETS_KEY",
        description="Key material for encrypting user-provided API keys; derived from JWT_SECRET when unset.",
    )

    # --- browser ----------------------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="CORS_ORIGINS")
    cookie_secure: bool = Field(default=True, alias="COOKIE_SECURE")
    frontend_dir: Path = Field(default=Path("./frontend/out"), alias="VT_FRONTEND_DIR")

    # --- limits -----------------------------------------------------------------------------
    max_body_bytes: int = Field(default=1_000_000, ge=1024, alias="MAX_BODY_BYTES")
    max_upload_bytes: int = Field(default=50_000_000, ge=1024, alias="MAX_UPLOAD_BYTES")
    rate_limit_enabled: bool = Field(default=True, alias="RATE_LIMIT_ENABLED")
    # capacity (burst) and sustained rate (requests per second) of each bucket
    rl_ip_capacity: float = Field(default=300, gt=0, alias="RL_IP_CAPACITY")
    rl_ip_rate: float = Field(default=20, gt=0, alias="RL_IP_RATE")
    rl_user_capacity: float = Field(default=600, gt=0, alias="RL_USER_CAPACITY")
    rl_user_rate: float = Field(default=50, gt=0, alias="RL_USER_RATE")
    rl_token_capacity: float = Field(default=600, gt=0, alias="RL_TOKEN_CAPACITY")
    rl_token_rate: float = Field(default=50, gt=0, alias="RL_TOKEN_RATE")
    rl_auth_capacity: float = Field(default=10, gt=0, alias="RL_AUTH_CAPACITY")
    rl_auth_rate: float = Field(default=10 / 60, gt=0, alias="RL_AUTH_RATE")
    rl_chat_capacity: float = Field(default=20, gt=0, alias="RL_CHAT_CAPACITY")
    rl_chat_rate: float = Field(default=20 / 60, gt=0, alias="RL_CHAT_RATE")
    rl_trading_capacity: float = Field(default=60, gt=0, alias="RL_TRADING_CAPACITY")
    rl_trading_rate: float = Field(default=1, gt=0, alias="RL_TRADING_RATE")

    # --- upstreams --------------------------------------------------------------------------
    upstream_timeout_seconds: float = Field(default=10.0, gt=0, alias="UPSTREAM_TIMEOUT_SECONDS")
    chat_timeout_seconds: float = Field(default=120.0, gt=0, alias="CHAT_TIMEOUT_SECONDS")
    upstream_failure_threshold: int = Field(default=5, ge=1, alias="UPSTREAM_FAILURE_THRESHOLD")
    upstream_reset_seconds: float = Field(default=15.0, gt=0, alias="UPSTREAM_RESET_SECONDS")
    trading_paper_url: str = Field(
        default="http://127.0.0.1:8005",
        alias="TRADING_PAPER_URL",
        description="The trading service running with TRADING_ENVIRONMENT=paper.",
    )
    trading_live_url: str = Field(
        default="http://127.0.0.1:8006",
        alias="TRADING_LIVE_URL",
        description="The trading service running with TRADING_ENVIRONMENT=live.",
    )
    finished_run_cache_size: int = Field(default=4096, ge=0, alias="FINISHED_RUN_CACHE_SIZE")

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in ("CORS_ORIGINS", "cors_origins"):
                if key in data:
                    data[key] = _split(data[key])
        return data

    @model_validator(mode="after")
    def _refuse_insecure(self) -> Settings:
        secret = self.jwt_secret.get_secret_value()
        if self.is_production:
            if secret == DEV_JWT_SECRET or len(secret) < 32:
                raise ValueError("JWT_SECRET must be a random value of at least 32 characters")
        elif len(secret) < 16:
            raise ValueError("JWT_SECRET must be at least 16 characters")
        if not self.cookie_secure and self.environment != "development":
            raise ValueError(
                "COOKIE_SECURE=false is allowed only in development (http://127.0.0.1)"
            )
        if "*" in self.cors_origins:
            raise ValueError("CORS_ORIGINS must list origins; '*' cannot carry cookies safely")
        return self
