"""JSON logs to stdout with service, correlation id and user id on every line."""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from vt_kit.context import correlation_id_var, user_id_var

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
    # credentials inside URLs: scheme://user:password@host
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@"), r"\1***@"),
]


def redact(text: str) -> str:
    """Mask values that look like secrets (tokens, passwords, keys, credentials in URLs)."""
    out = text
    for pattern, replacement in _RULES:
        out = pattern.sub(replacement, out)
    return out


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id_var.get()
        record.user_id = user_id_var.get()
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route all logging (uvicorn's included) to one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s %(user_id)s",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
