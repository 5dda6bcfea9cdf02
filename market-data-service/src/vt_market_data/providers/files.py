"""Files placed in the data directory (`VT_DATA_DIR`): `FILE:<name>` reads `<name>.csv` or
`<name>.parquet` there (validated like an upload, cached in memory until the file changes)."""

from __future__ import annotations

import threading
from pathlib import Path

from vt_kit.problems import NotFound
from vt_market_data.core.bars import Bars
from vt_market_data.providers.offline import OfflineSeries
from vt_market_data.uploads.parsing import infer_timeframe, parse_ohlcv

_cache: dict[Path, tuple[float, OfflineSeries]] = {}
_lock = threading.Lock()


def find_file(data_dir: Path, name: str) -> Path:
    for ext in (".csv", ".parquet", ".pq"):
        for candidate in (data_dir / f"{name}{ext}", data_dir / f"{name.lower()}{ext}"):
            if candidate.is_file():
                return candidate
    if data_dir.is_dir():
        for p in data_dir.iterdir():
            if p.stem.lower() == name.lower() and p.suffix.lower() in (".csv", ".parquet", ".pq"):
                return p
    raise NotFound(
        f"no file '{name}.csv' or '{name}.parquet' in the data directory {data_dir}; put the file "
        "there (VT_DATA_DIR) or upload it with POST /uploads.",
        title="Unknown symbol",
        service="file",
    )


def file_series(data_dir: Path, name: str) -> OfflineSeries:
    path = find_file(data_dir, name)
    mtime = path.stat().st_mtime
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    bars: Bars = parse_ohlcv(path.read_bytes(), path.name)
    series = OfflineSeries(
        bars, infer_timeframe(bars), f"file {path.name} from the data directory (as provided)"
    )
    with _lock:
        _cache[path] = (mtime, series)
    return series
