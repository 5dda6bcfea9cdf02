"""Secrets never reach a log line: real records through the real handler, output captured."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from vt_kit.logging import configure_logging, is_secret_key, redact

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiI0ZjZjMmQ4ZSIsInJvbGUiOiJ1c2VyIn0."
    "c2lnbmF0dXJlLXRoYXQtbG9va3MtcmVhbA"
)
SECRETS = {
    "polygon": "PolyK3yDoNotLog123",
    "password": "hunter2-correct-horse",
    "refresh": "vtr_Q2xvc2VZb3VyRXllc0FuZFRoaW5r",
    "pat": "vtp_abcdefghijklmnopqrstuvwxyz012345",
    "openai": "sk-proj-ABCDEFGHIJKLMNOPQRSTUV",
    "internal": "internal-token-value-9876",
    "jwt": JWT,
}


@pytest.fixture
def json_lines() -> Iterator[None]:
    """Puts the root logger back after a test that ran the service's logging set-up."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _configure() -> None:
    # inside the test: the handler writes to the stdout that capsys captures during the call
    configure_logging("redaction-test", "DEBUG")


def _output(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[dict[str, object]]]:
    raw = capsys.readouterr().out
    return raw, [json.loads(line) for line in raw.splitlines() if line.strip()]


def _assert_clean(raw: str) -> None:
    for name, secret in SECRETS.items():
        assert secret not in raw, f"the {name} secret reached the log: {raw}"


def test_message_arguments_are_redacted(
    json_lines: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure()
    log = logging.getLogger("vt.test")
    log.info("calling %s", f"https://api.polygon.io/v2/aggs?apiKey={SECRETS['polygon']}&limit=5")
    log.info("login for %s with password=%s", "trader@example.com", SECRETS["password"])
    log.warning("headers %r", {"Authorization": f"Bearer {JWT}"})
    log.info("refresh with %s, token %s", SECRETS["refresh"], SECRETS["pat"])
    raw, records = _output(capsys)
    _assert_clean(raw)
    messages = [str(r["message"]) for r in records]
    # what is not a secret stays readable
    assert "https://api.polygon.io/v2/aggs?apiKey=***&limit=5" in messages[0]
    assert "trader@example.com" in messages[1]
    assert all(r["service"] == "redaction-test" for r in records)


def test_extra_fields_are_redacted_by_name_and_value(
    json_lines: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure()
    logging.getLogger("vt.test").info(
        "request",
        extra={
            "password": SECRETS["password"],
            "x_internal_token": SECRETS["internal"],
            "headers": {"authorization": f"Bearer {JWT}", "X-Api-Key": SECRETS["openai"]},
            "body": {"refresh_token": SECRETS["refresh"], "symbol": "SAMPLE:AAPL"},
            "note": f"the key was {SECRETS['openai']}",
        },
    )
    raw, records = _output(capsys)
    _assert_clean(raw)
    record = records[-1]
    assert record["password"] == "***"
    assert record["body"] == {"refresh_token": "***", "symbol": "SAMPLE:AAPL"}


def test_exceptions_and_dict_messages_are_redacted(
    json_lines: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure()
    log = logging.getLogger("vt.test")
    try:
        raise RuntimeError(f"upstream refused password={SECRETS['password']} with {JWT}")
    except RuntimeError:
        log.exception("call failed")
    log.info({"event": "login", "api_key": SECRETS["openai"], "user": "u1"})
    raw, records = _output(capsys)
    _assert_clean(raw)
    assert "RuntimeError" in str(records[0]["exc_info"])
    assert records[1]["user"] == "u1"


def test_a_real_httpx_request_logs_its_url_without_the_key(
    json_lines: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """httpx logs every request URL at INFO, as a message argument (the issue's Polygon leak)."""
    _configure()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpx.Client(transport=transport) as client:
        client.get(
            "https://api.polygon.io/v2/aggs/ticker/AAPL",
            params={"apiKey": SECRETS["polygon"], "adjusted": "true"},
            headers={"Authorization": f"Bearer {SECRETS['pat']}"},
        )
    raw, records = _output(capsys)
    _assert_clean(raw)
    assert any("api.polygon.io" in str(r["message"]) for r in records if r["logger"] == "httpx")


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("new_password", True),
        ("refresh_token", True),
        ("X-CSRF-Token", True),
        ("llm_api_key", True),
        ("jwt_secret", True),
        ("Cookie", True),
        ("max_tokens", False),
        ("token_type", False),
        ("symbol", False),
        ("user_id", False),
    ],
)
def test_secret_key_names(name: str, secret: bool) -> None:
    assert is_secret_key(name) is secret


def test_redact_keeps_ordinary_text() -> None:
    text = "backtest 5a0c7e9e finished: 12 trades, sharpe 1.4, user u1, symbol SAMPLE:AAPL"
    assert redact(text) == text
    assert redact(f"Cookie: vt_access={JWT}; vt_refresh=abc123") == (
        "Cookie: vt_access=***; vt_refresh=***"
    )
