"""JSON logs to stdout with service, correlation id and user id on every line; secrets redacted.

Redaction happens twice, on purpose: `RedactingFilter` rewrites each record before any handler
sees it (the message *with its arguments*, extra fields by name and value), and the JSON
formatter passes every output field (exception text and stack included) through `redact` once
more, so a secret that reaches a log line by another path is still masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from vt_kit.context import correlation_id_var, user_id_var

MASK = "***"

_RULES: list[tuple[re.Pattern[str], str]] = [
    # authorization: Bearer xyz / Basic xyz
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:(bearer|basic)\s+)?[^\s\"',}]+"),
        r"\1\2 ***",
    ),
    # a bare bearer token anywhere
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    # key=value / "key": "value" for secret-looking keys
    (
        re.compile(
            r"(?i)\b((?:[a-z_]*_)?(?:password|passwd|secret|api[_-]?key|token|credentials?)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"
        ),
        r"\1***",
    ),
    # query parameters that carry keys or signatures: ?apiKey=..., &key=..., &signature=...
    (
        re.compile(
            r"(?i)([?&](?:key|apikey|api_key|access_key|secret|signature|sig|token|access_token|password)=)[^&\s\"'#]+"
        ),
        r"\1***",
    ),
    # session cookies by name (cookie headers: vt_access=...; vt_refresh=...)
    (re.compile(r"(?i)\b(vt_(?:access|refresh|csrf)=)[^;\s\"',]+"), r"\1***"),
    # anything that looks like a JWT (three base64url parts, the first two JSON objects)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # our own opaque tokens (refresh vtr_, personal vtp_) and common provider key shapes
    (re.compile(r"\bvt[rp]_[A-Za-z0-9_-]{8,}"), MASK),
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}"), MASK),
    # credentials inside URLs: scheme://user:password@host
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@"), r"\1***@"),
]

# names whose values are secrets whatever they look like (extra fields, dict keys)
_SECRET_KEY = re.compile(
    r"(?i)(pass(?:word|wd|phrase)|secret|api[_-]?key|authori[sz]ation|cookie|credential|private[_-]?key"
    r"|(?:^|[_-])(?:access|refresh|id|auth|bearer|session|csrf|internal)?[_-]?token$)"
)

# attributes every LogRecord has; anything else on a record came in through `extra=`
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask values that look like secrets (tokens, passwords, keys, credentials in URLs)."""
    out = text
    for pattern, replacement in _RULES:
        out = pattern.sub(replacement, out)
    return out


def is_secret_key(name: str) -> bool:
    """Whether a field of this name holds a secret (password, token, API key, cookie ...)."""
    return bool(_SECRET_KEY.search(name))


def redact_value(value: Any, depth: int = 0) -> Any:
    """Redact a structured value: secret-named keys are masked whole, strings are scanned."""
    if depth > 8:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            k: MASK
            if isinstance(k, str) and is_secret_key(k) and v is not None
            else redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [redact_value(v, depth + 1) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, bytes | bytearray):
        return redact(bytes(value).decode("utf-8", "replace"))
    return value


class RedactingFilter(logging.Filter):
    """Masks secrets in a record: the formatted message (arguments included: httpx logs the URL,
    with any key in its query, as an argument), and `extra=` fields by name and by value."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a broken format string: keep the parts, masked
                message = f"{record.msg} {record.args!r}" if record.args else record.msg
            record.msg = redact(message)
            record.args = None
        elif isinstance(record.msg, Mapping):
            record.msg = redact_value(record.msg)
        for name in set(record.__dict__) - _RECORD_ATTRS:
            value = record.__dict__[name]
            if is_secret_key(name) and value is not None:
                record.__dict__[name] = MASK
            elif isinstance(value, str | Mapping | list | tuple | bytes | bytearray):
                record.__dict__[name] = redact_value(value)
        return True


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id_var.get()
        record.user_id = user_id_var.get()
        return True


class RedactingJsonFormatter(JsonFormatter):
    """The last pass: every field of the JSON line, exception and stack text included."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        redacted: dict[str, Any] = redact_value(super().process_log_record(log_data))
        return redacted


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route all logging (uvicorn's included) to one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s %(user_id)s",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RedactingFilter())
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
