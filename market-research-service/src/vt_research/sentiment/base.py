"""The interface every sentiment model implements."""

from __future__ import annotations

from typing import Protocol


class SentimentUnavailable(Exception):
    """The model cannot run here (missing package, missing model directory); the message says why."""


class SentimentModel(Protocol):
    """Scores short texts from -1 (bearish) to 1 (bullish)."""

    name: str

    def score(self, texts: list[str]) -> list[float]:
        """One score in [-1, 1] per text, same order."""
        ...
