"""Turn bars into the `OHLCVFrame` JSON (columnar, UTC) with orjson."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from vt_contracts.ohlcv import DataQualityReport

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NAIVE_UTC


def frame_bytes(
    *,
    symbol: str,
    timeframe: str,
    market: str | None,
    provider: str,
    exchange_timezone: str,
    adjusted: bool,
    bars_ts: np.ndarray,
    columns: dict[str, np.ndarray],
    quality: DataQualityReport,
    label: str | None,
) -> bytes:
    body: dict[str, Any] = {
        "symbol": symbol,
        "timeframe": timeframe,
        "market": market,
        "provider": provider,
        "exchange_timezone": exchange_timezone,
        "adjusted": adjusted,
        "timestamps": np.ascontiguousarray(bars_ts.astype("datetime64[ns]")),
        **{k: np.ascontiguousarray(v, dtype=np.float64) for k, v in columns.items()},
        "quality": quality.model_dump(mode="json"),
        "label": label,
    }
    return orjson.dumps(body, option=_OPTS)
