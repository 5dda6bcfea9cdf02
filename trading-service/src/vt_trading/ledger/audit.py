"""Append-only, hash-chained audit records and secret redaction (pure).

Each record's hash is ``sha256(prev_hash + canonical JSON of the record)``; the first record
links to `GENESIS`. Changing, removing, inserting or reordering any record breaks the chain at
that point, which `verify` reports. Redact secrets *before* hashing (`redact`), so the log never
holds a credential and the hash covers exactly what is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS = "0" * 64
"""prev_hash of the first record of a chain."""
REDACTED = "***"
_SECRET_KEYS = (
    "apikey",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "token",
    "authorization",
    "privatekey",
    "signature",
    "cookie",
    "credential",
    "sessionid",
)
# key=value pairs inside strings (query strings, form bodies, header dumps)
_INLINE = re.compile(
    r"(?i)((?:api[_-]?key|secret|password|passwd|passphrase|token|signature|access[_-]?key)"
    r"[\"']?\s*[=:]\s*[\"']?)([^&\s\"',;]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def canonical_json(record: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, Decimals/dates/UUIDs as strings, no NaN."""
    return json.dumps(
        record,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def _default(v: Any) -> Any:
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError(f"cannot hash a non-finite Decimal: {v}")
        return str(v)
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, set | frozenset | tuple):
        return sorted(v, key=repr) if not isinstance(v, tuple) else list(v)
    raise TypeError(f"cannot put a {type(v).__name__} in an audit record")


def chain_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """sha256 hex of ``prev_hash`` followed by the record's canonical JSON."""
    h = hashlib.sha256()
    h.update(prev_hash.encode())
    h.update(canonical_json(record).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class ChainedRecord:
    """A record as stored: its content, the previous record's hash and its own."""

    record: Mapping[str, Any]
    prev_hash: str
    hash: str


def seal(prev_hash: str, record: Mapping[str, Any]) -> ChainedRecord:
    """Chain ``record`` after the record whose hash is ``prev_hash`` (`GENESIS` for the first)."""
    return ChainedRecord(record=record, prev_hash=prev_hash, hash=chain_hash(prev_hash, record))


def verify(records: Sequence[ChainedRecord], anchor: str = GENESIS) -> int | None:
    """Index of the first record whose link or hash is broken, None when the chain holds.

    ``anchor`` is the hash the first record must link to (`GENESIS`, or the last verified hash
    when checking a page of a longer chain).
    """
    prev = anchor
    for i, r in enumerate(records):
        if r.prev_hash != prev:
            return i
        try:
            ok = chain_hash(r.prev_hash, r.record) == r.hash
        except (TypeError, ValueError):
            return i
        if not ok:
            return i
        prev = r.hash
    return None


def _is_secret_key(key: str) -> bool:
    low = key.lower()
    if low.startswith(("has_", "is_")):  # flags about a secret (has_credentials) are not secrets
        return False
    k = re.sub(r"[^a-z]", "", low)
    return any(s in k for s in _SECRET_KEYS)


def redact(obj: Any) -> Any:
    """A copy of ``obj`` with secrets replaced by ``***``: values under secret-looking keys
    (api_key, secret, password, token, authorization, signature, ...) at any depth, and
    ``key=value`` / ``Bearer ...`` secrets inside strings."""
    if isinstance(obj, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and _is_secret_key(k) else redact(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    if isinstance(obj, str):
        out = _INLINE.sub(lambda m: m.group(1) + REDACTED, obj)
        return _BEARER.sub(lambda m: m.group(1) + " " + REDACTED, out)
    return obj
