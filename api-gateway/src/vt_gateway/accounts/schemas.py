"""Bodies of /users/me/password, /users/me/sessions and /admin/users/{id}/disable|enable."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class PasswordChange(BaseModel):
    """Your current password (to prove it is you) and the new one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "current_password": "correct horse battery staple",
                    "new_password": "a longer and newer passphrase",
                }
            ]
        },
    )

    current_password: SecretStr = Field(
        min_length=1, max_length=256, description="The password you log in with today."
    )
    new_password: SecretStr = Field(
        min_length=8,
        max_length=256,
        description="At least 8 characters, different from the current one; a passphrase is best.",
    )


class SessionRead(BaseModel):
    """One login session: a login and every refresh of it (one refresh-token family)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0c1f7a52-3b1e-4d7e-9a40-8f3b2c1d0e9f",
                    "created_at": "2026-12-01T08:00:00Z",
                    "last_used_at": "2026-12-05T09:30:00Z",
                    "expires_at": "2026-12-19T09:30:00Z",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
                    "ip": "192.0.2.10",
                    "current": True,
                }
            ]
        }
    )

    id: str = Field(description="Session id; revoke it with DELETE /users/me/sessions/{id}.")
    created_at: datetime = Field(description="When you logged in.")
    last_used_at: datetime = Field(
        description="The last login or token refresh of this session (refreshes happen every few minutes while it is in use)."
    )
    expires_at: datetime = Field(description="When the session ends unless it is refreshed.")
    user_agent: str | None = Field(default=None, description="Of the last login or refresh.")
    ip: str | None = Field(default=None, description="Client address of the last login or refresh.")
    current: bool = Field(description="The session this request was made with.")


class SessionList(BaseModel):
    """Your live sessions, most recently used first."""

    items: list[SessionRead]
