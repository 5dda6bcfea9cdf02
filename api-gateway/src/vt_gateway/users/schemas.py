"""Bodies of /users and /admin."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from vt_gateway.auth.schemas import UserRead


class UserSettingsUpdate(BaseModel):
    """Fields to change; omitted fields stay as they are, `null` clears a field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "default_initial_capital": 50000,
                    "default_commission": 0.0005,
                    "llm_provider": "openai",
                    "llm_api_key": "sk-...",
                }
            ]
        },
    )

    default_initial_capital: float | None = Field(default=None, gt=0, le=1e12)
    default_commission: float | None = Field(
        default=None, ge=0, le=0.1, description="Fraction of traded value (0.001 = 0.1%)."
    )
    default_slippage: float | None = Field(
        default=None, ge=0, le=0.1, description="Fraction of price."
    )
    llm_provider: Literal["anthropic", "openai", "default"] | None = None
    llm_model: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")
    llm_api_key: SecretStr | None = Field(
        default=None,
        min_length=8,
        max_length=512,
        description="Your own LLM API key. Stored encrypted and never returned; send null to delete it.",
    )


class UserPage(BaseModel):
    items: list[UserRead]
    next_cursor: str | None = None
