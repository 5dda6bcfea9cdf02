"""Request and response bodies of /auth."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_EMAIL_CHECK = "a single address like trader@example.com: one '@', a dot in the domain, no spaces"


def normalise_email(value: str) -> str:
    email = value.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or any(c.isspace() for c in email)
        or "@" in local
        or len(email) > 320
    ):
        raise ValueError(f"not a valid e-mail address; give {_EMAIL_CHECK}")
    return f"{local}@{domain.lower()}"


class Credentials(BaseModel):
    """E-mail and password."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "trader@example.com", "password": "correct horse battery staple"}
            ]
        },
    )

    email: str = Field(max_length=320, description="Your e-mail address (case-insensitive).")
    password: str = Field(
        min_length=8, max_length=256, description="At least 8 characters; a passphrase is best."
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)


class LoginRequest(Credentials):
    """E-mail and password; scripts may ask for the refresh token in the body."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "trader@example.com", "password": "correct horse battery staple"}
            ]
        },
    )

    include_refresh_token: bool = Field(
        default=False,
        description="Also return the refresh token in the body (for scripts and the CLI; browsers use the HttpOnly cookie).",
    )


class TokenResponse(BaseModel):
    """A fresh access token (also set as the HttpOnly `vt_access` cookie)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIs...",
                    "token_type": "bearer",
                    "expires_in": 900,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = Field(
        default=None,
        description="Only when asked for with include_refresh_token (or when refreshing with a body token).",
    )


class RefreshRequest(BaseModel):
    """Scripts send the refresh token in the body; browsers send the `vt_refresh` cookie."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"refresh_token": "vtr_..."}]}
    )

    refresh_token: str | None = Field(default=None, max_length=256)


class UserRead(BaseModel):
    """A user as the API shows it (never the password hash or stored secrets)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "4f6c2d8e-8a57-4a47-9d3c-2f1d0b6f9a10",
                    "email": "trader@example.com",
                    "role": "user",
                    "is_active": True,
                    "created_at": "2026-01-02T03:04:05Z",
                    "settings": {
                        "default_initial_capital": 100000,
                        "default_commission": 0.001,
                        "default_slippage": 0.0005,
                        "llm_provider": "anthropic",
                        "llm_model": None,
                        "has_llm_api_key": False,
                    },
                }
            ]
        }
    )

    id: str
    email: str
    role: Literal["user", "admin"]
    is_active: bool
    disabled_at: datetime | None = Field(
        default=None, description="When an administrator disabled the account; null while enabled."
    )
    created_at: datetime
    settings: UserSettingsRead


class UserSettingsRead(BaseModel):
    """User preferences; a stored API key is only reported as present, never returned."""

    default_initial_capital: float | None = None
    default_commission: float | None = Field(default=None, description="Fraction of traded value.")
    default_slippage: float | None = Field(default=None, description="Fraction of price.")
    llm_provider: Literal["anthropic", "openai", "default"] | None = None
    llm_model: str | None = None
    has_llm_api_key: bool = False


UserRead.model_rebuild()
