"""The embedded servers `make up` uses are real and keep their data across restarts."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
import redis

from vt_devstack.cli import _secrets
from vt_devstack.embedded import port_open
from vt_devstack.stack import start_backing


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.mark.slow
def test_stop_and_start_keeps_data(tmp_path: Path, clean_env: None) -> None:
    var = tmp_path / "var"
    ports = {"pg_port": 55462, "redis_port": 56409}
    backing = start_backing(var, "vt_keep", **ports)
    try:
        assert backing.embedded_pg is not None
        assert backing.embedded_redis is not None
        with psycopg.connect(backing.database_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (v text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
            version = conn.execute("SHOW server_version").fetchone()
        assert version is not None
        assert int(version[0].split(".")[0]) >= 16
        r = redis.Redis.from_url(backing.redis_url)
        r.set("kept", "yes")
        r.xadd("vt:test:stream", {"k": "v"})  # streams work: same commands as production
        r.close()
    finally:
        backing.stop()
    assert not port_open("127.0.0.1", ports["pg_port"])
    assert not port_open("127.0.0.1", ports["redis_port"])

    again = start_backing(var, "vt_keep", **ports)
    try:
        with psycopg.connect(again.database_url) as conn:
            assert conn.execute("SELECT v FROM kept").fetchone() == ("still here",)
        r = redis.Redis.from_url(again.redis_url)
        assert r.get("kept") == b"yes"
        assert r.xlen("vt:test:stream") == 1
        r.close()
    finally:
        again.stop()


def test_configured_urls_win_over_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/x")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example/0")
    backing = start_backing(tmp_path, "ignored", pg_port=1, redis_port=1)
    assert backing.embedded_pg is None
    assert backing.embedded_redis is None
    assert backing.database_url == "postgresql://u@db.example/x"
    assert not (tmp_path / "postgres").exists()


def test_generated_secrets_are_kept_private_and_stable(tmp_path: Path) -> None:
    first = _secrets(tmp_path)
    assert len(first["INTERNAL_TOKEN"]) >= 48
    assert len(first["JWT_SECRET"]) >= 48
    assert oct((tmp_path / "secrets.env").stat().st_mode & 0o777) == "0o600"
    assert _secrets(tmp_path) == first
    assert os.environ.get("INTERNAL_TOKEN") != first["INTERNAL_TOKEN"]


def test_env_example_loads_into_every_service_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`.env.example` is generated from the settings; every value in it must parse back."""
    import importlib

    from vt_devstack.envfile import SERVICES, render
    from vt_devstack.stack import repo_root

    text = (repo_root() / ".env.example").read_text()
    assert text == render(), "run `make gen`"
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key, value)
    for module in SERVICES.values():  # the placeholders are refused: an operator must set them
        with pytest.raises(ValueError, match="placeholder"):
            importlib.import_module(module).Settings()
    for line in text.splitlines():
        if "change-me" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key, value.replace("change-me", "s3cret-" + key.lower()))
    for module in SERVICES.values():
        settings = importlib.import_module(module).Settings()
        assert settings.is_production
