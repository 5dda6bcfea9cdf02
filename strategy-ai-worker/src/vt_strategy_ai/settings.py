"""Settings of the strategy AI worker service."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr

from vt_kit.settings import ServiceSettings

DEFAULT_MODELS = {
    "anthropic": "claude-sonnet-4-5",
    "openai": "gpt-4.1-mini",
    "openai_compatible": "qwen2.5:7b-instruct",
}


class Settings(ServiceSettings):
    """Environment variables read by strategy-ai-worker (see .env.example)."""

    service_name: ClassVar[str] = "strategy-ai-worker"
    port: int = Field(default=8001, validation_alias=AliasChoices("STRATEGY_AI_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "STRATEGY_AI_HOST")
    )

    llm_provider: Literal["offline", "anthropic", "openai", "openai_compatible"] = Field(
        default="offline", alias="LLM_PROVIDER"
    )
    llm_model: str | None = Field(default=None, alias="LLM_MODEL")
    llm_base_url: str | None = Field(default=None, alias="LLM_BASE_URL")
    anthropic_api_key: SecretStr = Field(default=SecretStr(""), alias="ANTHROPIC_API_KEY")
    openai_api_key: SecretStr = Field(default=SecretStr(""), alias="OPENAI_API_KEY")
    llm_openai_mode: Literal["json_schema", "tools"] = Field(
        default="json_schema", alias="LLM_OPENAI_MODE"
    )
    llm_max_attempts: int = Field(default=3, ge=1, le=5, alias="LLM_MAX_ATTEMPTS")
    llm_max_tokens: int = Field(default=4096, ge=256, le=32000, alias="LLM_MAX_TOKENS")
    llm_timeout_s: float = Field(default=60.0, gt=0, le=600, alias="LLM_TIMEOUT_S")
    signal_frequency: bool = Field(
        default=True,
        alias="AI_SIGNAL_FREQUENCY",
        description="Fetch OHLCV from the market-data service to compute the signal frequency.",
    )
    check_symbols: bool = Field(
        default=True,
        alias="AI_CHECK_SYMBOLS",
        description="Ask the market-data service about every new symbol before a strategy is saved; unknown symbols create nothing.",
    )
    upstream_timeout_s: float = Field(default=8.0, gt=0, le=120, alias="AI_UPSTREAM_TIMEOUT_S")
    stream_chunk_chars: int = Field(default=24, ge=1, le=1000, alias="AI_STREAM_CHUNK_CHARS")

    def effective_provider(self) -> str:
        """The provider actually used: a hosted provider without its key falls back to offline."""
        if self.llm_provider == "anthropic" and not self.anthropic_api_key.get_secret_value():
            return "offline"
        if self.llm_provider == "openai" and not self.openai_api_key.get_secret_value():
            return "offline"
        if self.llm_provider == "openai_compatible" and not self.llm_base_url:
            return "offline"
        return self.llm_provider
