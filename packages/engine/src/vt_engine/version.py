"""Engine version string (part of every result's provenance hash). Light: no vectorbt import."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def _v(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


ENGINE_VERSION = f"vt-engine {_v('vt-engine')} / vectorbt {_v('vectorbt')}"
