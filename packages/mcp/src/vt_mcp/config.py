"""Configuration from the environment: where the API is and which personal access token to use."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_API_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class Config:
    api_url: str
    token: str | None
    timeout_s: float

    @classmethod
    def from_env(cls) -> Config:
        raw_timeout = os.environ.get("VT_MCP_HTTP_TIMEOUT", "60")
        try:
            timeout = float(raw_timeout)
        except ValueError:
            raise SystemExit(
                f"VT_MCP_HTTP_TIMEOUT must be a number of seconds, not {raw_timeout!r}."
            ) from None
        return cls(
            api_url=os.environ.get("VT_API_URL", DEFAULT_API_URL).rstrip("/"),
            token=os.environ.get("VT_TOKEN") or None,
            timeout_s=timeout,
        )
