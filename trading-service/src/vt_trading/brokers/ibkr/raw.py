"""ib_async objects → JSON-safe dicts for the audit log (the seed's "insurance policy"): every
field of the trade, order status, execution and commission report, secrets redacted."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from vt_trading.ledger.audit import redact

AuditSink = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Writes one audit record (kind, record); the trading core's hash-chained log behind it."""


def plain(obj: Any) -> Any:
    """A JSON-safe copy: dataclasses as dicts, datetimes ISO, unset doubles as None."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple) and hasattr(obj, "_asdict"):  # ib_async's Fill, Position, ...
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [plain(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, float):
        # IB's "unset" double is sys.float_info.max; JSON has no infinities
        return None if math.isinf(obj) or obj > 1e300 else obj
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return repr(obj)


def record(obj: Any, **extra: Any) -> dict[str, Any]:
    body = {"raw": plain(obj), **{k: plain(v) for k, v in extra.items()}}
    cleaned: dict[str, Any] = redact(body)
    return cleaned
