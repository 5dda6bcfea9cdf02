"""Fixtures for the sandbox tests (helpers live in support.py)."""

from __future__ import annotations

from .support import tripwire

__all__ = ["tripwire"]
