"""Client and CLI tests run against the real gateway app (served in-process on a loopback port)
with the internal services it routes to, on real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vt_gateway.testing import serve_stack


@pytest.fixture(scope="module")
def api_url(database_url: str, redis_url: str) -> Iterator[str]:
    with serve_stack(redis_url) as url:
        yield url


@pytest.fixture
def cli_env(api_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    creds = tmp_path / "config" / "vibetrading" / "credentials.json"
    monkeypatch.setenv("VT_API_URL", api_url)
    monkeypatch.setenv("VT_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("VT_TOKEN", raising=False)
    return {"VT_API_URL": api_url, "VT_CREDENTIALS_FILE": str(creds)}


@pytest.fixture
def email() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}@example.com"
