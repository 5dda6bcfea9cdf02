"""Market bodies (market-data-service and market-research-service own them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class SymbolMatch(BaseModel):
    """A search hit; aliases are resolved (BTC -> BTC/USDT)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "symbol": "SPY",
                    "name": "SPDR S&P 500 ETF",
                    "market": "us_equity",
                    "provider": "yfinance",
                    "timezone": "America/New_York",
                }
            ]
        },
    )

    symbol: str
    name: str | None = None
    market: str | None = None
    provider: str | None = None
    timezone: str | None = None


class DatasetSummary(BaseModel):
    """An uploaded dataset: what was stored and its quality report."""

    model_config = ConfigDict(extra="allow")

    symbol: str | None = None
    timeframe: str | None = None
    quality: dict[str, Any] | None = None


class DatasetPage(BaseModel):
    items: list[DatasetSummary]
    next_cursor: str | None = None
