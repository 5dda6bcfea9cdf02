"""StrategySpec -> decision-bar signals.

Signals are evaluated on the close of each bar with data up to and including that bar; the
simulator applies the execution shift (next open by default). Filters gate entries only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vt_contracts.strategy import (
    INDICATOR_OUTPUTS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    ConstOperand,
    CrossesAbove,
    CrossesBelow,
    ForNBars,
    IndicatorOperand,
    Not,
    Operand,
    PriceOperand,
    StrategySpec,
)
from vt_engine import indicators as ind
from vt_engine.data import prepare_data
from vt_engine.errors import EngineError
from vt_engine.timing import periods_per_year

__all__ = ["Signals", "compile_spec", "pair_key"]


@dataclass(frozen=True)
class Signals:
    """Boolean decision-bar signals of one traded symbol (or one pair)."""

    entries: pd.Series
    exits: pd.Series
    short_entries: pd.Series
    short_exits: pd.Series


def pair_key(leg_a: str, leg_b: str) -> str:
    """Key of a pair's signal set in ``compile_spec``'s result: ``"LEG_A|LEG_B"``."""
    return f"{leg_a}|{leg_b}"


Value = pd.Series | float


class _Context:
    """Evaluates operands and conditions for one traded symbol (or pair)."""

    def __init__(
        self,
        spec: StrategySpec,
        data: Mapping[str, pd.DataFrame],
        frame: pd.DataFrame,
    ) -> None:
        self.spec = spec
        self.data = data
        self.frame = frame
        self.index = frame.index
        self.kinds = {i.id: i for i in spec.indicators}
        self.cache: dict[str, Any] = {}

    def _source_frame(self, symbol: str | None) -> pd.DataFrame:
        if symbol is None:
            return self.frame
        if symbol not in self.data:
            raise EngineError(
                "missing_symbol",
                f"an indicator is computed on '{symbol}', but no data for '{symbol}' was provided",
            )
        other = self.data[symbol]
        if other.index.equals(self.index):
            return other
        # Align on the traded symbol's bars using only the other symbol's past values.
        return other.reindex(other.index.union(self.index)).ffill().reindex(self.index)

    def indicator(self, ind_id: str) -> Any:
        if ind_id in self.cache:
            return self.cache[ind_id]
        spec_ind = self.kinds.get(ind_id)
        if spec_ind is None:
            raise EngineError(
                "unknown_indicator",
                f"a condition refers to indicator '{ind_id}', which is not defined in `indicators` (defined: {sorted(self.kinds) or 'none'})",
            )
        df = compute_indicator(spec_ind, self, self.spec)
        self.cache[ind_id] = df
        return df

    def operand(self, op: Operand) -> Value:
        if isinstance(op, ConstOperand):
            return float(op.value)
        if isinstance(op, PriceOperand):
            s = self.frame[op.field]
            return s.shift(op.shift) if op.shift else s
        if isinstance(op, IndicatorOperand):
            df = self.indicator(op.id)
            kind = self.kinds[op.id].kind
            outputs = INDICATOR_OUTPUTS[kind]
            name = op.output or outputs[0]
            if name not in outputs:
                raise EngineError(
                    "unknown_indicator",
                    f"indicator '{op.id}' ({kind}) has no output '{name}'; choose one of {list(outputs)}",
                )
            out: pd.Series = df[name]
            return out.shift(op.shift) if op.shift else out
        raise EngineError("unknown_indicator", f"unknown operand {op!r}")

    def condition(self, cond: Condition) -> Any:
        if isinstance(cond, Compare):
            left = self.operand(cond.left)
            right = self.operand(cond.right)
            res: Any
            if cond.op == ">":
                res = left > right
            elif cond.op == ">=":
                res = left >= right
            elif cond.op == "<":
                res = left < right
            elif cond.op == "<=":
                res = left <= right
            else:
                res = left == right
            if isinstance(res, pd.Series | pd.DataFrame):
                return res.fillna(False).astype(bool)
            return pd.Series(bool(res), index=self.index)
        if isinstance(cond, CrossesAbove | CrossesBelow):
            left = self.operand(cond.left)
            right = self.operand(cond.right)
            if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
                return pd.Series(False, index=self.index)
            if isinstance(cond, CrossesAbove):
                return ind.crosses_above(left, right)
            return ind.crosses_below(left, right)
        if isinstance(cond, AllOf):
            out = self.condition(cond.conditions[0])
            for sub in cond.conditions[1:]:
                out = out & self.condition(sub)
            return out
        if isinstance(cond, AnyOf):
            out = self.condition(cond.conditions[0])
            for sub in cond.conditions[1:]:
                out = out | self.condition(sub)
            return out
        if isinstance(cond, Not):
            return ~self.condition(cond.condition)
        if isinstance(cond, ForNBars):
            return ind.for_n_bars(self.condition(cond.condition), cond.n)
        raise EngineError("unknown_indicator", f"unknown condition {cond!r}")


def compute_indicator(spec_ind: Any, ctx: _Context, spec: StrategySpec) -> Any:
    """One spec indicator as a DataFrame of its named outputs on the context's index."""
    kind = spec_ind.kind
    if kind == "spread_zscore":
        fa = ctx._source_frame(spec_ind.leg_a)
        fb = ctx._source_frame(spec_ind.leg_b)
        return ind.spread_zscore(fa["close"], fb["close"], spec_ind.window, spec_ind.hedge_ratio)
    f = ctx._source_frame(spec_ind.symbol)
    src = f[spec_ind.source] if hasattr(spec_ind, "source") else f["close"]
    if kind == "sma":
        s = ind.sma(src, spec_ind.window)
    elif kind == "ema":
        s = ind.ema(src, spec_ind.window)
    elif kind == "wma":
        s = ind.wma(src, spec_ind.window)
    elif kind == "rsi":
        s = ind.rsi(src, spec_ind.window)
    elif kind == "macd":
        return ind.macd(src, spec_ind.fast, spec_ind.slow, spec_ind.signal)
    elif kind == "bbands":
        return ind.bbands(src, spec_ind.window, spec_ind.num_std)
    elif kind == "atr":
        s = ind.atr(f["high"], f["low"], f["close"], spec_ind.window)
    elif kind == "adx":
        return ind.adx(f["high"], f["low"], f["close"], spec_ind.window)
    elif kind == "stoch":
        return ind.stoch(
            f["high"], f["low"], f["close"], spec_ind.k_window, spec_ind.smooth_k, spec_ind.d_window
        )
    elif kind == "donchian":
        return ind.donchian(f["high"], f["low"], spec_ind.window)
    elif kind == "vwap":
        s = ind.vwap(f["high"], f["low"], f["close"], f["volume"], spec_ind.window)
    elif kind == "roc":
        s = ind.roc(src, spec_ind.window)
    elif kind == "realized_vol":
        ppy = (
            periods_per_year(spec.universe.market, spec.universe.timeframe)
            if spec_ind.annualize
            else None
        )
        s = ind.realized_vol(f["close"], spec_ind.window, ppy)
    elif kind == "zscore":
        s = ind.zscore(src, spec_ind.window)
    else:
        raise EngineError("unknown_indicator", f"unknown indicator kind '{kind}'")
    return {"value": s}  # a plain dict: a one-column DataFrame costs more than the indicator


def _signals_for(spec: StrategySpec, ctx: _Context) -> Signals:
    idx = ctx.index
    false = pd.Series(np.zeros(len(idx), dtype=bool), index=idx)
    entry = ctx.condition(spec.entry)
    exit_ = ctx.condition(spec.exit) if spec.exit is not None else false
    filt = false | True
    for f in spec.filters:
        filt = filt & ctx.condition(f)
    if spec.direction == "long":
        sig = Signals(entry & filt, exit_, false, false.copy())
    elif spec.direction == "short":
        sig = Signals(false, false.copy(), entry & filt, exit_)
    else:
        s_entry = ctx.condition(spec.short_entry) if spec.short_entry is not None else false
        s_exit = ctx.condition(spec.short_exit) if spec.short_exit is not None else false
        sig = Signals(entry & filt, exit_, s_entry & filt, s_exit)
    return Signals(*(s.fillna(False).astype(bool).rename(None) for s in _fields(sig)))


def _fields(sig: Signals) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    return sig.entries, sig.exits, sig.short_entries, sig.short_exits


def check_references(spec: StrategySpec) -> None:
    """Operand references must point at defined indicators with existing outputs."""
    from vt_contracts.strategy import iter_operands

    kinds = {i.id: i.kind for i in spec.indicators}
    for where, cond in spec.conditions():
        for op in iter_operands(cond):
            if isinstance(op, IndicatorOperand):
                if op.id not in kinds:
                    raise EngineError(
                        "unknown_indicator",
                        f"{where} refers to indicator '{op.id}', which is not defined in `indicators` (defined: {sorted(kinds) or 'none'})",
                    )
                outputs = INDICATOR_OUTPUTS.get(kinds[op.id], ())
                if op.output is not None and op.output not in outputs:
                    raise EngineError(
                        "unknown_indicator",
                        f"{where}: indicator '{op.id}' ({kinds[op.id]}) has no output '{op.output}'; choose one of {list(outputs)}",
                    )


# --------------------------------------------------------------------------------------------
# Wide evaluation: a basket evaluated once on (bars x symbols) frames
# --------------------------------------------------------------------------------------------

_WIDE_KINDS = {"sma", "ema", "roc", "zscore"}


class _WideContext(_Context):
    """Same semantics as ``_Context``, evaluated on DataFrames with one column per symbol.

    Moving averages, ROC and z-scores run as one pandas call over all columns; other
    indicators are computed per symbol with the Series functions and stacked. Tests prove
    the result equal to per-symbol compilation."""

    def __init__(
        self, spec: StrategySpec, data: Mapping[str, pd.DataFrame], symbols: list[str]
    ) -> None:
        self.symbols = symbols
        first = data[symbols[0]]
        self.wide = {
            c: pd.DataFrame(
                np.column_stack([data[s][c].to_numpy() for s in symbols]),
                index=first.index,
                columns=symbols,
            )
            for c in ("open", "high", "low", "close", "volume")
        }
        super().__init__(spec, data, first)

    def _full(self, value: bool) -> pd.DataFrame:
        return pd.DataFrame(value, index=self.index, columns=self.symbols)

    def indicator(self, ind_id: str) -> Any:
        if ind_id in self.cache:
            return self.cache[ind_id]
        spec_ind: Any = self.kinds.get(ind_id)
        if spec_ind is None:
            raise EngineError(
                "unknown_indicator",
                f"a condition refers to indicator '{ind_id}', which is not defined in `indicators`",
            )
        out: dict[str, pd.DataFrame]
        if spec_ind.kind in _WIDE_KINDS:
            src = self.wide[spec_ind.source]
            w = int(spec_ind.window)
            if spec_ind.kind == "sma":
                val = src.rolling(w, min_periods=w).mean()
            elif spec_ind.kind == "ema":
                val = src.ewm(span=w, adjust=False, min_periods=w).mean()
            elif spec_ind.kind == "roc":
                val = 100.0 * (src / src.shift(w) - 1.0)
            else:
                roll = src.rolling(w, min_periods=w)
                sd = roll.std(ddof=0)
                val = (src - roll.mean()) / sd.where(sd != 0)
            out = {"value": val}
        else:
            per = {
                s: compute_indicator(
                    spec_ind, _Context(self.spec, self.data, self.data[s]), self.spec
                )
                for s in self.symbols
            }
            names = list(per[self.symbols[0]].keys())
            out = {
                n: pd.DataFrame({s: per[s][n] for s in self.symbols}, index=self.index)
                for n in names
            }
        self.cache[ind_id] = out
        return out

    def operand(self, op: Operand) -> Any:
        if isinstance(op, PriceOperand):
            s = self.wide[op.field]
            return s.shift(op.shift) if op.shift else s
        return super().operand(op)

    def condition(self, cond: Condition) -> Any:
        if isinstance(cond, Compare):
            res = super().condition(cond)
            if isinstance(res, pd.Series) and not isinstance(res, pd.DataFrame):
                return self._full(bool(res.iloc[0]) if len(res) else False)
            return res
        if isinstance(cond, CrossesAbove | CrossesBelow):
            left = self.operand(cond.left)
            right = self.operand(cond.right)
            if not isinstance(left, pd.DataFrame) and not isinstance(right, pd.DataFrame):
                return self._full(False)
            if not isinstance(left, pd.DataFrame):
                left = self._full(False).astype(np.float64) + float(left)
            if not isinstance(right, pd.DataFrame):
                right = self._full(False).astype(np.float64) + float(right)
            if isinstance(cond, CrossesAbove):
                now, before = left > right, left.shift(1) <= right.shift(1)
            else:
                now, before = left < right, left.shift(1) >= right.shift(1)
            return now & before
        if isinstance(cond, AllOf | AnyOf | Not):
            return super().condition(cond)
        if isinstance(cond, ForNBars):
            inner = self.condition(cond.condition).astype(np.float64)
            if cond.n == 1:
                return inner > 0
            return (inner.rolling(cond.n, min_periods=cond.n).sum() >= cond.n).fillna(False)
        return super().condition(cond)


def _wide_ok(spec: StrategySpec) -> bool:
    if spec.pair is not None or len(spec.universe.symbols) < 2:
        return False
    return all(
        getattr(i, "symbol", None) is None and i.kind != "spread_zscore" for i in spec.indicators
    )


def _signals_wide(spec: StrategySpec, ctx: _WideContext) -> dict[str, Signals]:
    false = ctx._full(False)
    entry = ctx.condition(spec.entry)
    exit_ = ctx.condition(spec.exit) if spec.exit is not None else false
    filt = ctx._full(True)
    for f in spec.filters:
        filt = filt & ctx.condition(f)
    if spec.direction == "long":
        parts = (entry & filt, exit_, false, false)
    elif spec.direction == "short":
        parts = (false, false, entry & filt, exit_)
    else:
        s_entry = ctx.condition(spec.short_entry) if spec.short_entry is not None else false
        s_exit = ctx.condition(spec.short_exit) if spec.short_exit is not None else false
        parts = (entry & filt, exit_, s_entry & filt, s_exit)
    arrays = [np.asarray(p.fillna(False).to_numpy(), dtype=bool) for p in parts]
    idx = ctx.index
    return {
        sym: Signals(*(pd.Series(a[:, j], index=idx, copy=False) for a in arrays))
        for j, sym in enumerate(ctx.symbols)
    }


def compile_frames(spec: StrategySpec, frames: Mapping[str, pd.DataFrame]) -> dict[str, Signals]:
    """Compile on already prepared (validated, aligned) frames."""
    check_references(spec)
    out: dict[str, Signals] = {}
    if _wide_ok(spec):
        return _signals_wide(spec, _WideContext(spec, frames, list(spec.universe.symbols)))
    if spec.pair is not None:
        a, b = spec.pair.leg_a, spec.pair.leg_b
        ctx = _Context(spec, frames, frames[a])
        out[pair_key(a, b)] = _signals_for(spec, ctx)
        return out
    for sym in spec.universe.symbols:
        ctx = _Context(spec, frames, frames[sym])
        out[sym] = _signals_for(spec, ctx)
    return out


def compile_spec(spec: StrategySpec, data: Mapping[str, pd.DataFrame]) -> dict[str, Signals]:
    """Decision-bar signals per traded symbol (or one set keyed ``"A|B"`` for a pair).

    Computed on the whole data given (so indicators warm up on history before
    ``period.start``) and then cut to the spec's period."""
    frames, _ = prepare_data(spec, data)
    sigs = compile_frames(spec, frames)
    start, end = period_bounds(spec)
    if start is None and end is None:
        return sigs
    return {
        k: Signals(*(s.loc[_period_mask(s.index, start, end)] for s in _fields(v)))
        for k, v in sigs.items()
    }


def period_bounds(spec: StrategySpec) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    start = pd.Timestamp(spec.period.start, tz="UTC") if spec.period.start else None
    end = (
        pd.Timestamp(spec.period.end, tz="UTC") + pd.Timedelta(days=1) if spec.period.end else None
    )
    return start, end


def _period_mask(
    index: pd.Index, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> np.ndarray:
    mask = np.ones(len(index), dtype=bool)
    if start is not None:
        mask &= np.asarray(index >= start)
    if end is not None:
        mask &= np.asarray(index < end)
    return mask


period_mask = _period_mask
