"""Responses of the upload routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from vt_contracts.ohlcv import DataQualityReport


class DatasetSummary(BaseModel):
    id: uuid.UUID
    symbol: str
    timeframe: str
    filename: str
    rows: int
    first_ts: datetime | None
    last_ts: datetime | None
    quality: DataQualityReport
    created_at: datetime


class DatasetPage(BaseModel):
    items: list[DatasetSummary]
    next_cursor: str | None
