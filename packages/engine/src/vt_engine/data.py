"""Input validation and alignment of OHLCV frames."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from vt_contracts.strategy import (
    Compare,
    ConstOperand,
    CrossesAbove,
    CrossesBelow,
    IndicatorOperand,
    Operand,
    PriceOperand,
    SpreadZScore,
    StrategySpec,
    iter_conditions,
)
from vt_engine.errors import EngineError

COLUMNS = ("open", "high", "low", "close", "volume")


def clean_frame(symbol: str, df: pd.DataFrame | None) -> pd.DataFrame:
    """Validated copy: UTC DatetimeIndex, sorted, float64 OHLCV, rows with missing prices dropped."""
    if df is None:
        raise EngineError("missing_symbol", f"no data was provided for '{symbol}'")
    if not isinstance(df, pd.DataFrame) or len(df) == 0:
        raise EngineError(
            "empty_data", f"the data for '{symbol}' is empty; choose a period or symbol with bars"
        )
    cols = {str(c).lower(): c for c in df.columns}
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise EngineError(
            "bad_data",
            f"the data for '{symbol}' lacks the column(s) {missing}; expected {list(COLUMNS)}",
        )
    if not isinstance(df.index, pd.DatetimeIndex) or df.index.tz is None:
        raise EngineError(
            "bad_data",
            f"the data for '{symbol}' needs a timezone-aware DatetimeIndex (UTC bar open times)",
        )
    # fast path: already clean (the common case) -> the frame itself, never copied or mutated
    if (
        len(df.columns) == 5
        and list(df.columns) == list(COLUMNS)
        and str(df.index.tz) == "UTC"
        and (df.dtypes == np.float64).all()
        and df.index.is_monotonic_increasing
        and df.index.is_unique
    ):
        values = df.to_numpy()
        if not np.isnan(values).any() and (values[:, :4] > 0).all():
            return df
    arrays: dict[str, np.ndarray] = {}
    for c in COLUMNS:
        col = df[cols[c]]
        if col.dtype != np.float64:
            col = pd.to_numeric(col, errors="coerce").astype(np.float64)
        arrays[c] = col.to_numpy()
    index = df.index if str(df.index.tz) == "UTC" else df.index.tz_convert("UTC")
    out = pd.DataFrame(arrays, index=index, copy=False)
    for c in COLUMNS:
        if out[c].isna().all():
            raise EngineError(
                "bad_data", f"the '{c}' column of '{symbol}' has no values (all missing)"
            )
    if not out.index.is_monotonic_increasing:
        out = out.sort_index()
    if out.index.has_duplicates:
        out = out[~out.index.duplicated(keep="last")]
    px = np.column_stack([out[c].to_numpy() for c in ("open", "high", "low", "close")])
    bad = np.isnan(px).any(axis=1)
    if bad.any():
        out = out.loc[~bad]
        px = px[~bad]
    if np.isnan(out["volume"].to_numpy()).any():
        out["volume"] = out["volume"].fillna(0.0)
    if len(out) == 0:
        raise EngineError("empty_data", f"the data for '{symbol}' has no complete OHLC bar")
    if (px <= 0).any():
        raise EngineError(
            "bad_data", f"the data for '{symbol}' has zero or negative prices; fix the data source"
        )
    return out


def extra_symbols(spec: StrategySpec) -> list[str]:
    """Symbols the spec needs besides the traded ones (indicator `symbol`, spread legs)."""
    found: list[str] = []
    for i in spec.indicators:
        names: Iterable[str | None] = (
            (i.leg_a, i.leg_b) if isinstance(i, SpreadZScore) else (i.symbol,)
        )
        for n in names:
            if n and n not in spec.universe.symbols and n not in found:
                found.append(n)
    return found


# indicators whose values are prices (or price differences): rescaled by every adjustment
PRICE_SCALED = frozenset({"sma", "ema", "wma", "bbands", "donchian", "vwap", "atr", "macd"})


def _price_scaled(op: Operand, kinds: Mapping[str, tuple[str, str]]) -> bool:
    if isinstance(op, PriceOperand):
        return op.field != "volume"
    if isinstance(op, IndicatorOperand) and op.id in kinds:
        kind, source = kinds[op.id]
        return kind in PRICE_SCALED and source != "volume"
    return False


def absolute_price_levels(spec: StrategySpec) -> list[str]:
    """Conditions that compare a price (or a price-scaled indicator) with a fixed number."""
    kinds = {i.id: (i.kind, str(getattr(i, "source", "close"))) for i in spec.indicators}
    found: list[str] = []
    for where, cond in spec.conditions():
        for c in iter_conditions(cond):
            if isinstance(c, Compare | CrossesAbove | CrossesBelow):
                pairs = ((c.left, c.right), (c.right, c.left))
                for a, b in pairs:
                    if _price_scaled(a, kinds) and isinstance(b, ConstOperand):
                        found.append(f"{where} compares with the fixed level {b.value:g}")
    return found


def adjustment_warnings(spec: StrategySpec) -> list[str]:
    """Warnings when adjusted (back-rescaled) prices meet things that need prices as traded."""
    if spec.universe.adjust != "adjusted" or spec.universe.market == "crypto":
        return []
    out = [
        f"{what} of split/dividend-adjusted prices: past levels are rescaled by later splits and "
        "dividends, so this uses information from the future; set universe.adjust to 'raw' "
        "to compare with prices as traded"
        for what in absolute_price_levels(spec)
    ]
    if spec.costs.commission_fixed > 0:
        out.append(
            "a fixed commission per order on split/dividend-adjusted prices: the share counts "
            "(and so the cost per share) differ from those traded on the day; universe.adjust "
            "'raw' uses prices as traded"
        )
    return out


def align(frames: dict[str, pd.DataFrame], symbols: list[str]) -> tuple[pd.Index, list[str]]:
    """Common bars of the traded symbols (intersection) and warnings about dropped bars."""
    warnings: list[str] = []
    idx = frames[symbols[0]].index
    for s in symbols[1:]:
        other = frames[s].index
        if not other.equals(idx):
            idx = idx.intersection(other)
    if len(symbols) > 1:
        for s in symbols:
            dropped = len(frames[s]) - len(idx)
            if dropped:
                warnings.append(
                    f"{dropped} bar(s) of '{s}' dropped: traded symbols are aligned on their common timestamps"
                )
    return idx, warnings


def slice_dates(
    df: pd.DataFrame, start: date | None, end: date | None, what: str = "period"
) -> pd.DataFrame:
    mask = np.ones(len(df), dtype=bool)
    if start is not None:
        mask &= np.asarray(df.index >= pd.Timestamp(start, tz="UTC"))
    if end is not None:
        mask &= np.asarray(df.index < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))
    return df.loc[mask]


def prepare_data(
    spec: StrategySpec, data: Mapping[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Validated frames for every symbol the spec needs; traded symbols share one index."""
    if spec.period.start and spec.period.end and spec.period.start >= spec.period.end:
        raise EngineError(
            "bad_period",
            f"period.start ({spec.period.start}) must be before period.end ({spec.period.end})",
        )
    if not data:
        raise EngineError("empty_data", "no market data was provided")
    traded = list(spec.universe.symbols)
    frames: dict[str, pd.DataFrame] = {}
    for s in traded + extra_symbols(spec):
        if s not in data:
            raise EngineError(
                "missing_symbol",
                f"no data for '{s}'; the strategy needs it (available: {sorted(data)})",
            )
        frames[s] = clean_frame(s, data[s])
    idx, warnings = align(frames, traded)
    warnings += adjustment_warnings(spec)
    if len(idx) == 0:
        raise EngineError(
            "empty_data", "the traded symbols have no timestamps in common; check the data"
        )
    for s in traded:
        if not frames[s].index.equals(idx):
            frames[s] = frames[s].reindex(idx)
    lookback = spec.max_lookback()
    if len(idx) <= lookback:
        raise EngineError(
            "insufficient_bars",
            f"the data has {len(idx)} bars but the indicators need at least {lookback + 1} "
            f"(longest look-back {lookback}); use a longer period or shorter windows",
        )
    first, last = idx[0], idx[-1]
    if spec.period.start and pd.Timestamp(spec.period.start, tz="UTC") > last:
        raise EngineError(
            "bad_period",
            f"period.start ({spec.period.start}) is after the last bar of the data ({last.date()})",
        )
    if spec.period.end and pd.Timestamp(spec.period.end, tz="UTC") + pd.Timedelta(days=1) <= first:
        raise EngineError(
            "bad_period",
            f"period.end ({spec.period.end}) is before the first bar of the data ({first.date()})",
        )
    return frames, warnings


def hash_frames(data: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 of the OHLCV used: symbols in sorted order, their timestamps and the five columns."""
    h = hashlib.sha256()
    for sym in sorted(data):
        df = data[sym]
        h.update(sym.encode())
        h.update(b"\0")
        idx = df.index
        if isinstance(idx, pd.DatetimeIndex):
            stamps = idx.tz_convert("UTC") if idx.tz is not None else idx
            h.update(np.ascontiguousarray(stamps.as_unit("ns").asi8).tobytes())
        for c in COLUMNS:
            if c in df.columns:
                h.update(c.encode())
                h.update(np.ascontiguousarray(df[c].to_numpy(dtype=np.float64)).tobytes())
    return h.hexdigest()
