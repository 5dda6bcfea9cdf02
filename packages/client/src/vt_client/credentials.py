"""Where the CLI keeps its tokens: ~/.config/vibetrading/credentials.json (mode 0600), or VT_TOKEN."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


def credentials_path() -> Path:
    override = os.environ.get("VT_CREDENTIALS_FILE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vibetrading" / "credentials.json"


@dataclass
class Credentials:
    api_url: str
    access_token: str
    refresh_token: str | None = None
    email: str | None = None


def load(api_url: str) -> Credentials | None:
    """VT_TOKEN wins; else the saved file when it was written for the same API URL."""
    env_token = os.environ.get("VT_TOKEN")
    if env_token:
        return Credentials(api_url=api_url, access_token=env_token)
    path = credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("api_url") != api_url or not data.get("access_token"):
        return None
    return Credentials(
        api_url=api_url,
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token"),
        email=data.get("email"),
    )


def save(credentials: Credentials) -> Path:
    """Write atomically with owner-only permissions (0600; the folder 0700)."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "api_url": credentials.api_url,
                "access_token": credentials.access_token,
                "refresh_token": credentials.refresh_token,
                "email": credentials.email,
            },
            fh,
        )
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def clear() -> None:
    credentials_path().unlink(missing_ok=True)
