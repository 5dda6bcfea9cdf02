"""Read and validate a user's CSV or Parquet OHLCV file; errors name the row and column."""

from __future__ import annotations

import io
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from vt_kit.problems import Unprocessable
from vt_market_data.core.bars import Bars
from vt_market_data.core.timeframes import TF_NS

TIME_NAMES = ("timestamp", "datetime", "date", "time", "ts", "open_time")
REQUIRED = ("open", "high", "low", "close", "volume")
# What an unnamed index becomes: `df.to_csv()` writes an empty header ("Unnamed: 0" once read),
# `reset_index()` of a Parquet file's unnamed index names it "index".
UNNAMED = ("", "unnamed: 0", "index")


def _bad(detail: str) -> Unprocessable:
    return Unprocessable(detail, title="Invalid upload")


def read_table(content: bytes, filename: str) -> pd.DataFrame:
    """CSV (comma, semicolon or tab separated) or Parquet, decided by name and magic bytes."""
    if not content:
        raise _bad(f"'{filename}' is empty; upload a CSV or Parquet file with OHLCV rows.")
    is_parquet = content[:4] == b"PAR1" or filename.lower().endswith((".parquet", ".pq"))
    try:
        if is_parquet:
            df = pd.read_parquet(io.BytesIO(content))
            if isinstance(df.index, pd.DatetimeIndex):
                df = df.reset_index()
            return df
        head = content[:4096].decode("utf-8", errors="replace")
        sep = max((",", ";", "\t"), key=head.count)
        return pd.read_csv(io.BytesIO(content), sep=sep, dtype=str, keep_default_na=False)
    except Exception as exc:
        kind = "Parquet" if is_parquet else "CSV"
        raise _bad(f"'{filename}' could not be read as {kind}: {exc}") from exc


def _row(i: int, csv_like: bool) -> str:
    return f"row {i + 1}" + (f" (line {i + 2} of the file)" if csv_like else "")


def _is_row_number(col: pd.Series) -> bool:
    """A pandas RangeIndex written out: 0, 1, 2, ... (epoch seconds would never look like that)."""
    num = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    return bool(len(num)) and bool(np.array_equal(num, np.arange(len(num), dtype=np.float64)))


def _parse_times(col: pd.Series, name: str, csv_like: bool) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(col):
        idx = pd.DatetimeIndex(col)
    else:
        text = col.astype(str).str.strip()
        numeric = pd.to_numeric(text, errors="coerce")
        if len(text) and bool(numeric.notna().all()):
            vals = numeric.to_numpy(dtype=np.float64)
            unit: Literal["s", "ms"] = "ms" if np.nanmax(np.abs(vals)) > 1e11 else "s"
            idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(vals), unit=unit, utc=True))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
                if parsed.isna().any():
                    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
            bad = np.flatnonzero(parsed.isna().to_numpy())
            if bad.size:
                i = int(bad[0])
                raise _bad(
                    f"{_row(i, csv_like)}, column '{name}': '{text.iloc[i]}' is not a date/time "
                    "(use ISO 8601 such as 2024-01-31 or 2024-01-31T14:30:00Z, or epoch seconds/ms)."
                )
            idx = pd.DatetimeIndex(parsed)
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    bad_nat = np.flatnonzero(idx.isna())
    if bad_nat.size:
        raise _bad(f"{_row(int(bad_nat[0]), csv_like)}, column '{name}': missing date/time.")
    return pd.DatetimeIndex(idx.tz_convert("UTC"))


def parse_ohlcv(content: bytes, filename: str) -> Bars:
    """Validate and convert a file to bars (sorted by time). Rejects missing columns,
    unparseable or missing values, negative volume and duplicate timestamps, naming the row."""
    df = read_table(content, filename)
    csv_like = not (content[:4] == b"PAR1" or filename.lower().endswith((".parquet", ".pq")))
    by_lower = {str(c).strip().lower(): c for c in df.columns}
    found = ", ".join(str(c) for c in df.columns) or "none"
    time_col = next((by_lower[n] for n in TIME_NAMES if n in by_lower), None)
    if time_col is None and len(df.columns) and str(df.columns[0]).strip().lower() in UNNAMED:
        time_col = df.columns[0]
        if _is_row_number(df[time_col]):
            raise _bad(
                "the first, unnamed column holds row numbers 0, 1, 2, ..., not dates: the frame "
                "had no date index. Write it with its dates as the index (`df.set_index('date')"
                ".to_csv()`) or as a 'timestamp' column."
            )
    if time_col is None:
        raise _bad(
            f"column 'timestamp' is missing (also accepted: {', '.join(TIME_NAMES[1:])}); found columns: {found}."
        )
    missing = [c for c in REQUIRED if c not in by_lower]
    if missing:
        raise _bad(
            f"column '{missing[0]}' is missing; required: timestamp, {', '.join(REQUIRED)}; found columns: {found}."
        )
    if len(df) == 0:
        raise _bad(f"'{filename}' has a header but no rows.")
    times = _parse_times(df[time_col], str(time_col), csv_like)
    values: dict[str, np.ndarray] = {}
    for name in REQUIRED:
        raw = df[by_lower[name]]
        if raw.dtype == object:
            raw = raw.astype(str).str.strip().str.replace(",", "", regex=False)
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(num))
        if bad.size:
            i = int(bad[0])
            shown = df[by_lower[name]].iloc[i]
            raise _bad(f"{_row(i, csv_like)}, column '{name}': '{shown}' is not a number.")
        values[name] = num
    neg = np.flatnonzero(values["volume"] < 0)
    if neg.size:
        i = int(neg[0])
        raise _bad(
            f"{_row(i, csv_like)}, column 'volume': volume cannot be negative ({values['volume'][i]})."
        )
    ts = times.as_unit("ns").asi8
    order = np.argsort(ts, kind="stable")
    sorted_ts = ts[order]
    dup = np.flatnonzero(sorted_ts[1:] == sorted_ts[:-1])
    if dup.size:
        a, b = sorted(int(x) for x in order[dup[0] : dup[0] + 2])
        raise _bad(
            f"{_row(b, csv_like)}, column '{time_col}': timestamp {times[b].isoformat()} appears twice "
            f"(also at {_row(a, csv_like)}); keep one bar per timestamp."
        )
    bars = Bars.from_arrays(
        ts, values["open"], values["high"], values["low"], values["close"], values["volume"]
    )
    return bars.take(order)


def infer_timeframe(bars: Bars) -> str:
    """The timeframe whose length is closest to the typical spacing of the bars."""
    if len(bars) < 2:
        return "1d"
    spacing = float(np.median(np.diff(bars.ts)))
    if spacing >= TF_NS["1d"] * 5:
        return "1w"
    if spacing >= TF_NS["1d"] * 0.9:
        return "1d"
    return min(TF_NS, key=lambda tf: abs(TF_NS[tf] - spacing))
