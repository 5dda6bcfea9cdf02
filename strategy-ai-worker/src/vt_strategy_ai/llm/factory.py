"""Build the configured provider from settings."""

from __future__ import annotations

from vt_strategy_ai.llm.base import Provider
from vt_strategy_ai.llm.providers import AnthropicProvider, OfflineProvider, OpenAIProvider
from vt_strategy_ai.settings import DEFAULT_MODELS, Settings


def make_provider(settings: Settings) -> Provider:
    kind = settings.effective_provider()
    if kind == "anthropic":
        return AnthropicProvider(
            settings.llm_model or DEFAULT_MODELS["anthropic"],
            api_key=settings.anthropic_api_key,
            base_url=settings.llm_base_url,
            max_attempts=settings.llm_max_attempts,
            max_tokens=settings.llm_max_tokens,
            timeout_s=settings.llm_timeout_s,
        )
    if kind in ("openai", "openai_compatible"):
        return OpenAIProvider(
            settings.llm_model or DEFAULT_MODELS[kind],
            name=kind,
            api_key=settings.openai_api_key,
            base_url=settings.llm_base_url,
            mode=settings.llm_openai_mode,
            max_attempts=settings.llm_max_attempts,
            max_tokens=settings.llm_max_tokens,
            timeout_s=settings.llm_timeout_s,
        )
    return OfflineProvider()
