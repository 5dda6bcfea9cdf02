"""StrategySpec -> readable Python (`generate_signals(data, params)`), deterministically.

The generated module mirrors `vt_engine.compile_spec` operation for operation, using the same
indicator library, so running it in the sandbox yields exactly the engine's decision-bar signals.

Safety rule: nothing typed by a person reaches the source. Variable names are built from the
indicator kind (an enum) and its validated integer/float parameters; the spec's own ids, name
and description are never written into the code. Every number is rendered from a validated,
finite float or int.
"""

from __future__ import annotations

import math

from vt_contracts import StrategySpec
from vt_contracts.strategy import (
    ADX,
    ATR,
    EMA,
    MACD,
    ROC,
    RSI,
    SMA,
    VWAP,
    WMA,
    AllOf,
    AnyOf,
    BollingerBands,
    Compare,
    Condition,
    ConstOperand,
    CrossesAbove,
    CrossesBelow,
    Donchian,
    ForNBars,
    IndicatorOperand,
    Not,
    Operand,
    PriceOperand,
    RealizedVolatility,
    SpreadZScore,
    Stochastic,
    ZScore,
)
from vt_contracts.strategy import Indicator as SpecIndicator

GENERATOR_VERSION = "1"
_PRICE_FIELDS = ("open", "high", "low", "close", "volume")
_OPS = (">", ">=", "<", "<=", "==")


class CodegenUnsupported(Exception):
    """The spec cannot be expressed as single-symbol `generate_signals(data, params)` code."""


def _num(value: float | int) -> str:
    if isinstance(value, bool):
        raise CodegenUnsupported("booleans are not numbers here")
    if isinstance(value, int):
        return str(int(value))
    f = float(value)
    if not math.isfinite(f):
        raise CodegenUnsupported("numbers in a strategy must be finite")
    return repr(f)


def _int(value: int) -> str:
    return str(int(value))


def _field(name: str) -> str:
    if name not in _PRICE_FIELDS:
        raise CodegenUnsupported(f"unknown price field {name!r}")
    return f'data["{name}"]'


def _tag(value: float | int) -> str:
    text = repr(float(value)) if isinstance(value, float) else str(int(value))
    return text.replace(".", "_").replace("-", "m").removesuffix("_0")


def _indicator_call(ind: SpecIndicator, periods_per_year: float | None) -> tuple[str, str, str]:
    """(variable base name, call expression, comment) for one indicator."""
    if isinstance(ind, SpreadZScore):
        raise CodegenUnsupported(
            "pairs strategies need both legs' data; they run through the engine's spec compiler"
        )
    if ind.symbol is not None:
        raise CodegenUnsupported(
            "an indicator computed on another symbol's data needs that symbol too; the engine's spec compiler runs it"
        )
    if isinstance(ind, SMA | EMA | WMA):
        src = _field(ind.source)
        base = f"{ind.kind}_{ind.window}" + ("" if ind.source == "close" else f"_{ind.source}")
        return (
            base,
            f"ind.{ind.kind}({src}, {_int(ind.window)})",
            f"{ind.kind.upper()} of {ind.source}, {ind.window} bars",
        )
    if isinstance(ind, RSI):
        return (
            f"rsi_{ind.window}",
            f"ind.rsi({_field(ind.source)}, {_int(ind.window)})",
            f"RSI, {ind.window} bars (0-100)",
        )
    if isinstance(ind, MACD):
        return (
            f"macd_{ind.fast}_{ind.slow}_{ind.signal}",
            f"ind.macd({_field(ind.source)}, {_int(ind.fast)}, {_int(ind.slow)}, {_int(ind.signal)})",
            "MACD: columns macd, signal, hist",
        )
    if isinstance(ind, BollingerBands):
        return (
            f"bb_{ind.window}_{_tag(ind.num_std)}",
            f"ind.bbands({_field(ind.source)}, {_int(ind.window)}, {_num(ind.num_std)})",
            "Bollinger Bands: columns upper, middle, lower, percent_b, bandwidth",
        )
    if isinstance(ind, ATR):
        return (
            f"atr_{ind.window}",
            f'ind.atr(data["high"], data["low"], data["close"], {_int(ind.window)})',
            f"ATR, {ind.window} bars",
        )
    if isinstance(ind, ADX):
        return (
            f"adx_{ind.window}",
            f'ind.adx(data["high"], data["low"], data["close"], {_int(ind.window)})',
            "ADX: columns adx, plus_di, minus_di",
        )
    if isinstance(ind, Stochastic):
        return (
            f"stoch_{ind.k_window}_{ind.smooth_k}_{ind.d_window}",
            f'ind.stoch(data["high"], data["low"], data["close"], {_int(ind.k_window)}, {_int(ind.smooth_k)}, {_int(ind.d_window)})',
            "Stochastic: columns k, d",
        )
    if isinstance(ind, Donchian):
        return (
            f"donchian_{ind.window}",
            f'ind.donchian(data["high"], data["low"], {_int(ind.window)})',
            "Donchian channel of the previous bars: columns upper, lower, middle",
        )
    if isinstance(ind, VWAP):
        window = "None" if ind.window is None else _int(ind.window)
        name = "vwap_daily" if ind.window is None else f"vwap_{ind.window}"
        return (
            name,
            f'ind.vwap(data["high"], data["low"], data["close"], data["volume"], {window})',
            "VWAP of the typical price",
        )
    if isinstance(ind, ROC):
        return (
            f"roc_{ind.window}",
            f"ind.roc({_field(ind.source)}, {_int(ind.window)})",
            f"rate of change over {ind.window} bars, percent",
        )
    if isinstance(ind, RealizedVolatility):
        ppy = "None" if not ind.annualize or periods_per_year is None else _num(periods_per_year)
        return (
            f"vol_{ind.window}",
            f'ind.realized_vol(data["close"], {_int(ind.window)}, {ppy})',
            "realised volatility" + (", annualised percent" if ind.annualize else ""),
        )
    if isinstance(ind, ZScore):
        return (
            f"zscore_{ind.window}",
            f"ind.zscore({_field(ind.source)}, {_int(ind.window)})",
            f"rolling z-score, {ind.window} bars",
        )
    raise CodegenUnsupported(f"indicator kind {ind.kind!r} has no code template")


_MULTI = {"macd", "bbands", "adx", "stoch", "donchian", "spread_zscore"}
_DEFAULT_OUTPUT = {
    "macd": "macd",
    "bbands": "upper",
    "adx": "adx",
    "stoch": "k",
    "donchian": "upper",
}


class _Writer:
    def __init__(self, spec: StrategySpec, periods_per_year: float | None) -> None:
        self.spec = spec
        self.ppy = periods_per_year
        self.lines: list[str] = []
        self.var_of: dict[str, str] = {}
        self.kind_of: dict[str, str] = {}
        self.counter = 0

    def emit(self, line: str = "") -> None:
        self.lines.append(("    " + line) if line else "")

    def indicators(self) -> None:
        used: set[str] = set()
        if self.spec.indicators:
            self.emit("# Indicators")
        for ind in self.spec.indicators:
            base, call, comment = _indicator_call(ind, self.ppy)
            name = base
            n = 2
            while name in used:
                name = f"{base}_v{n}"
                n += 1
            used.add(name)
            self.var_of[ind.id] = name
            self.kind_of[ind.id] = ind.kind
            self.emit(f"{name} = {call}  # {comment}")

    def operand(self, op: Operand) -> tuple[str, bool]:
        """(expression, is_series)."""
        if isinstance(op, ConstOperand):
            return _num(op.value), False
        if isinstance(op, PriceOperand):
            expr = _field(op.field)
            return (f"{expr}.shift({_int(op.shift)})" if op.shift else expr), True
        if isinstance(op, IndicatorOperand):
            var = self.var_of[op.id]
            kind = self.kind_of[op.id]
            if kind in _MULTI:
                output = op.output or _DEFAULT_OUTPUT[kind]
                if output not in (
                    "macd",
                    "signal",
                    "hist",
                    "upper",
                    "middle",
                    "lower",
                    "percent_b",
                    "bandwidth",
                    "adx",
                    "plus_di",
                    "minus_di",
                    "k",
                    "d",
                ):
                    raise CodegenUnsupported(f"unknown indicator output {output!r}")
                expr = f'{var}["{output}"]'
            else:
                expr = var
            return (f"{expr}.shift({_int(op.shift)})" if op.shift else expr), True
        raise CodegenUnsupported("unknown operand")

    def condition(self, cond: Condition) -> str:
        if isinstance(cond, Compare):
            left, ls = self.operand(cond.left)
            right, rs = self.operand(cond.right)
            if cond.op not in _OPS:
                raise CodegenUnsupported("unknown comparison")
            if not ls and not rs:
                return f"pd.Series({left} {cond.op} {right}, index=data.index)"
            return f"({left} {cond.op} {right})"
        if isinstance(cond, CrossesAbove | CrossesBelow):
            left, ls = self.operand(cond.left)
            right, rs = self.operand(cond.right)
            if not ls and not rs:
                return "pd.Series(False, index=data.index)"
            fn = "crosses_above" if isinstance(cond, CrossesAbove) else "crosses_below"
            return f"ind.{fn}({left}, {right})"
        if isinstance(cond, AllOf | AnyOf):
            parts = [self.condition(c) for c in cond.conditions]
            if len(parts) == 1:
                return parts[0]
            joiner = " & " if isinstance(cond, AllOf) else " | "
            return "(" + joiner.join(parts) + ")"
        if isinstance(cond, Not):
            return f"~{self.condition(cond.condition)}"
        if isinstance(cond, ForNBars):
            return f"ind.for_n_bars({self.condition(cond.condition)}, {_int(cond.n)})"
        raise CodegenUnsupported("unknown condition")

    def assign(self, name: str, cond: Condition | None, comment: str) -> None:
        if cond is None:
            self.emit(f"{name} = no_signal  # {comment}")
            return
        self.emit(f"{name} = {self.condition(cond)}  # {comment}")


def generate_code(spec: StrategySpec, periods_per_year: float | None = None) -> str:
    """Readable module defining `generate_signals(data, params)` for a single-symbol spec.

    Raises `CodegenUnsupported` for pairs and cross-symbol indicators (the engine's spec compiler
    runs those). `periods_per_year` is needed when a realised-volatility indicator is annualised.
    """
    if spec.pair is not None:
        raise CodegenUnsupported(
            "pairs strategies need both legs' data; they run through the engine's spec compiler"
        )
    w = _Writer(spec, periods_per_year)
    w.indicators()
    if spec.indicators:
        w.emit()
    w.emit("no_signal = pd.Series(np.zeros(len(data), dtype=bool), index=data.index)")
    w.emit()
    w.emit("# Rules (evaluated on each bar's close)")
    w.assign("entry", spec.entry, "entry rule")
    w.assign(
        "exit_rule",
        spec.exit,
        "exit rule" if spec.exit is not None else "no exit rule: risk exits only",
    )
    if spec.filters:
        parts = [w.condition(f) for f in spec.filters]
        w.emit(f"allowed = {' & '.join(parts)}  # filters gate entries only")
    else:
        w.emit("allowed = no_signal | True  # no filters")
    if spec.direction == "both":
        w.assign("short_entry", spec.short_entry, "short entry rule")
        w.assign("short_exit", spec.short_exit, "short exit rule")
    w.emit()
    if spec.direction == "long":
        w.emit("entries = entry & allowed")
        w.emit("exits = exit_rule")
        w.emit("short_entries = no_signal")
        w.emit("short_exits = no_signal")
    elif spec.direction == "short":
        w.emit("entries = no_signal")
        w.emit("exits = no_signal")
        w.emit("short_entries = entry & allowed")
        w.emit("short_exits = exit_rule")
    else:
        w.emit("entries = entry & allowed")
        w.emit("exits = exit_rule")
        w.emit("short_entries = short_entry & allowed")
        w.emit("short_exits = short_exit")
    w.emit("return {")
    for name in ("entries", "exits", "short_entries", "short_exits"):
        w.emit(f'    "{name}": {name}.fillna(False).astype(bool),')
    w.emit("}")

    header = [
        f'"""Signals of StrategySpec {spec.spec_hash()[:16]} (generator v{GENERATOR_VERSION}).',
        "",
        "Generated from the spec; edit the spec, not this file. Each rule is decided on the bar's",
        "close with data up to that bar. The engine then fills orders (next open by default) and",
        "applies risk exits, sizing, costs and the backtest period.",
        '"""',
        "",
        "import numpy as np",
        "import pandas as pd",
        "",
        "from vt_engine import indicators as ind",
        "",
        "",
        "def generate_signals(data, params):",
    ]
    return "\n".join(header + w.lines) + "\n"
