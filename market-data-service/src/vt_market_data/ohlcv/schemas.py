"""Request parameters of GET /ohlcv."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OhlcvQuery:
    symbol: str
    timeframe: str = "1d"
    start: str | None = None
    end: str | None = None
    adjust: bool = True
    provider: str | None = None
