"""`Bars`: a columnar OHLCV series held as numpy arrays (timestamps as int64 UTC nanoseconds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Bars:
    """Parallel arrays; `ts` holds each bar's open time in UTC nanoseconds since the epoch."""

    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @staticmethod
    def empty() -> Bars:
        z = np.empty(0, dtype=np.float64)
        return Bars(np.empty(0, dtype=np.int64), z, z.copy(), z.copy(), z.copy(), z.copy())

    @staticmethod
    def from_arrays(
        ts: npt.ArrayLike,
        open_: npt.ArrayLike,
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike,
    ) -> Bars:
        return Bars(
            np.asarray(ts, dtype=np.int64),
            np.asarray(open_, dtype=np.float64),
            np.asarray(high, dtype=np.float64),
            np.asarray(low, dtype=np.float64),
            np.asarray(close, dtype=np.float64),
            np.asarray(volume, dtype=np.float64),
        )

    @staticmethod
    def from_frame(df: pd.DataFrame) -> Bars:
        """From a DataFrame with a tz-aware DatetimeIndex and lower-case OHLCV columns."""
        idx = pd.DatetimeIndex(df.index)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        ts = idx.as_unit("ns").asi8
        return Bars.from_arrays(ts, df["open"], df["high"], df["low"], df["close"], df["volume"])

    def to_frame(self) -> pd.DataFrame:
        index = pd.DatetimeIndex(pd.to_datetime(self.ts, unit="ns", utc=True), name="timestamp")
        return pd.DataFrame(
            {c: getattr(self, c) for c in COLUMNS},
            index=index,
        )

    def take(self, mask_or_idx: npt.NDArray[np.bool_] | I64) -> Bars:
        return Bars(
            self.ts[mask_or_idx],
            self.open[mask_or_idx],
            self.high[mask_or_idx],
            self.low[mask_or_idx],
            self.close[mask_or_idx],
            self.volume[mask_or_idx],
        )

    def between(self, start_ns: int, end_ns: int) -> Bars:
        """Bars with start <= ts < end (ts must be sorted)."""
        lo = int(np.searchsorted(self.ts, start_ns, side="left"))
        hi = int(np.searchsorted(self.ts, end_ns, side="left"))
        return self.take(np.arange(lo, hi, dtype=np.int64)) if (lo, hi) != (0, len(self)) else self

    def sorted(self) -> Bars:
        """Sorted by time (stable; duplicates are kept so the quality report can flag them)."""
        if len(self) < 2 or bool(np.all(self.ts[1:] >= self.ts[:-1])):
            return self
        order = np.argsort(self.ts, kind="stable")
        return self.take(order)

    @staticmethod
    def concat(parts: list[Bars]) -> Bars:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Bars.empty()
        if len(parts) == 1:
            return parts[0]
        return Bars(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("ts", *COLUMNS)))

    def merge_prefer_last(self, other: Bars) -> Bars:
        """Union by timestamp; where both have a bar, `other` wins."""
        if not len(self):
            return other.sorted()
        if not len(other):
            return self.sorted()
        keep = ~np.isin(self.ts, other.ts)
        return Bars.concat([self.take(keep), other]).sorted()
