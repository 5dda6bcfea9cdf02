"""Errors the engine raises for bad input. The service maps them to 422 problems."""

from __future__ import annotations


class EngineError(ValueError):
    """Bad input to the engine.

    ``code`` is a stable machine-readable string (``unknown_indicator``, ``empty_data``,
    ``bad_period``, ``insufficient_bars``, ``missing_symbol``, ``bad_signals``, ``bad_data``,
    ``unsupported``, ``bad_parameter``, ``missing_bar`` (vt_engine.live: no bar at the time asked about)); ``message`` tells the user what to change.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"EngineError(code={self.code!r}, message={self.message!r})"
