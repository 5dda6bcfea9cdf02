"""OHLCV bars and frames, plus the data-quality report that travels with every frame."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from vt_contracts._base import Contract
from vt_contracts.strategy import Market, Timeframe

Provider = Literal["yfinance", "ccxt", "polygon", "upload", "file", "sample", "demo"]


class Bar(Contract):
    """One OHLCV bar; `timestamp` is the bar's open time in UTC."""

    timestamp: AwareDatetime = Field(description="Bar open time, timezone-aware (UTC).")
    open: float
    high: float
    low: float
    close: float
    volume: float = Field(ge=0)


class QualityIssue(Contract):
    """One data-quality finding. Issues are flagged, never silently fixed."""

    kind: Literal[
        "gap",
        "duplicate_timestamp",
        "non_positive_price",
        "high_below_low",
        "suspicious_jump",
        "ohlc_inconsistent",
        "missing_values",
    ]
    count: int = Field(ge=1, description="How many bars are affected.")
    first_at: datetime | None = Field(default=None, description="First affected bar.")
    detail: str = Field(
        description="Human explanation, e.g. '3 sessions missing between 2020-03-10 and 2020-03-16'."
    )


class DataQualityReport(Contract):
    """Data-quality summary of one OHLCV frame."""

    bars: int = Field(ge=0, description="Number of bars checked.")
    issues: list[QualityIssue] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was flagged."""
        return not self.issues


class OHLCVFrame(Contract):
    """Columnar OHLCV for one symbol: parallel arrays, timestamps in UTC."""

    symbol: str
    timeframe: Timeframe
    market: Market | None = None
    provider: Provider
    exchange_timezone: str = Field(
        default="UTC",
        description="IANA timezone of the exchange (kept as metadata; timestamps are UTC).",
    )
    adjusted: bool = Field(default=True, description="Split- and dividend-adjusted prices.")
    timestamps: list[AwareDatetime]
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]
    quality: DataQualityReport
    label: str | None = Field(
        default=None,
        description="Provenance label shown to users, e.g. 'offline sample: public-domain daily history 2000–2013'.",
    )

    @model_validator(mode="after")
    def _check_lengths(self) -> OHLCVFrame:
        n = len(self.timestamps)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"column '{name}' has {len(getattr(self, name))} values but there are {n} timestamps"
                )
        return self
