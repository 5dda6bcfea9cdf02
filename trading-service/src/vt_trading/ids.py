"""Path ids: anything that is not a UUID is simply not found (404), never a 500."""

from __future__ import annotations

import uuid


def parse_id(value: str) -> uuid.UUID | None:
    """The UUID in `value`, or None when it is not one (the caller answers 404)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
