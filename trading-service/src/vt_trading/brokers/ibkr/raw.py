"""ib_async objects → JSON-safe dicts for the audit log (the seed's "insurance policy"): every
field of the trade, order status, execution and commission report, secrets redacted.

One pass converts and redacts: an ib_async execution has ~60 fields, and a reconciliation page
can hold thousands, so the key check (the core's `redact` rule) is cached per field name."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from vt_trading.ledger.audit import REDACTED, redact

AuditSink = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Writes one audit record (kind, record); the trading core's hash-chained log behind it."""


@functools.lru_cache(maxsize=4096)
def _secret(key: str) -> bool:
    # the core's rule, asked once per distinct field name
    return bool(redact({key: 1})[key] == REDACTED)


def _field(key: str, value: Any) -> Any:
    return REDACTED if _secret(key) else plain(value)


def plain(obj: Any) -> Any:
    """A JSON-safe, redacted copy: dataclasses and named tuples as dicts, datetimes ISO,
    unset doubles as None, secrets (by key or inline in strings) replaced."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _field(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple) and hasattr(obj, "_asdict"):  # ib_async's Fill, Position, ...
        return {k: _field(k, v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {str(k): _field(str(k), v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [plain(v) for v in obj]
    if isinstance(obj, str):
        return redact(obj) if obj else obj
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, float):
        # IB's "unset" double is sys.float_info.max; JSON has no infinities
        return None if math.isinf(obj) or obj > 1e300 else obj
    if obj is None or isinstance(obj, int | bool):
        return obj
    return redact(repr(obj))


def record(obj: Any, **extra: Any) -> dict[str, Any]:
    return {"raw": plain(obj), **{k: _field(k, v) for k, v in extra.items()}}
