"""Fixtures for the sandbox tests (helpers live in support.py)."""

from __future__ import annotations

from .support import ohlcv, tripwire

__all__ = ["ohlcv", "tripwire"]
