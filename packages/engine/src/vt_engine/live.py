"""The engine as a live strategy model (ADR 0005): what the backtest holds at a bar's open or
close, which protective orders it has in force, what it decides — and how much history the
indicators need before the first tradable bar (warm-up).

Pure (no I/O). ``model_state`` re-runs the same compiler and numba kernel as ``run_backtest``
from ``start`` through the bar asked for, so a deployment trades exactly what was backtested.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import pandas as pd

from vt_contracts.backtest import WalkForwardConfig
from vt_contracts.strategy import (
    ADX,
    ATR,
    EMA,
    MACD,
    RSI,
    VWAP,
    ATRStop,
    BollingerBands,
    Donchian,
    ForNBars,
    IndicatorOperand,
    PriceOperand,
    RealizedVolatility,
    SpreadZScore,
    Stochastic,
    StrategySpec,
    VolatilityTarget,
    iter_operands,
)
from vt_engine.errors import EngineError
from vt_engine.timing import BAR_MINUTES, periods_per_year

if TYPE_CHECKING:
    from vt_engine.simulator import FinalState, SimConfig

__all__ = [
    "ModelState",
    "Phase",
    "ProtectiveOrder",
    "Warmup",
    "history_window",
    "model_state",
    "target_estimate",
    "trim_warmup",
    "warmup_bars",
]

Phase = Literal["open", "close"]

# Recursive (exponential) indicators never forget their first value: we give them this many
# windows of history so the start's influence is below ~1% (EMA span w: (1-2/(w+1))^(3w) ~ e^-6;
# Wilder 1/w: (1-1/w)^(5w) ~ e^-5).
EMA_WINDOWS = 3
WILDER_WINDOWS = 5

_SIGNALS = {0: None, 1: "exit", 2: "enter_long", 3: "enter_short", 4: "reverse", 5: "reverse"}
_SCALE = 6


# ------------------------------------------------------------------------------------------
# Warm-up
# ------------------------------------------------------------------------------------------


def _indicator_lookback(ind: object, market: str, timeframe: str) -> int:
    """Bars before bar t an indicator needs for a settled value at t."""
    if isinstance(ind, EMA):
        return EMA_WINDOWS * ind.window
    if isinstance(ind, MACD):
        return EMA_WINDOWS * ind.slow + EMA_WINDOWS * ind.signal
    if isinstance(ind, RSI | ATR):
        return WILDER_WINDOWS * ind.window
    if isinstance(ind, ADX):
        return 2 * WILDER_WINDOWS * ind.window
    if isinstance(ind, Stochastic):
        return ind.k_window + ind.smooth_k + ind.d_window
    if isinstance(ind, Donchian):
        return ind.window + 1  # the channel excludes the current bar
    if isinstance(ind, VWAP):
        if ind.window is not None:
            return ind.window
        # a running VWAP resets every session day: one day of intraday bars
        return 0 if timeframe in ("1d", "1w") else math.ceil(1440 / BAR_MINUTES[timeframe])
    if isinstance(ind, SpreadZScore):
        return 2 * ind.window if ind.hedge_ratio is None else ind.window
    if isinstance(ind, RealizedVolatility):
        return ind.window + 1  # log returns need one more bar
    if isinstance(ind, BollingerBands):
        return ind.window
    window = getattr(ind, "window", None)  # sma, wma, roc, zscore, ...
    return int(window) + 1 if isinstance(window, int) else 1


def _spec_warmup(spec: StrategySpec) -> int:
    u = spec.universe
    need = 0
    for ind in spec.indicators:
        need = max(need, _indicator_lookback(ind, u.market, u.timeframe))
    extra = 1  # crossovers compare with the previous bar
    for _, cond in spec.conditions():
        for op in iter_operands(cond):
            if isinstance(op, IndicatorOperand | PriceOperand):
                extra = max(extra, op.shift + 1)
        for c in _walk(cond):
            if isinstance(c, ForNBars):
                extra = max(extra, c.n)
    need += extra
    if isinstance(spec.risk.stop_loss, ATRStop):
        need = max(need, WILDER_WINDOWS * spec.risk.stop_loss.window + 1)
    if isinstance(spec.sizing, VolatilityTarget):
        need = max(need, spec.sizing.lookback + 2)
    return need


def _walk(cond: object) -> Iterable[object]:
    yield cond
    for sub in getattr(cond, "conditions", None) or ():
        yield from _walk(sub)
    inner = getattr(cond, "condition", None)
    if inner is not None:
        yield from _walk(inner)


def warmup_bars(spec: StrategySpec, walk_forward: WalkForwardConfig | None = None) -> int:
    """Bars of history needed before the first tradable bar: every indicator (recursive ones
    until their seed no longer matters), shifted operands, crossovers, N-bar conditions, the
    ATR of an ATR stop and the look-back of volatility sizing; with ``walk_forward``, the
    largest over its parameter grid."""
    need = _spec_warmup(spec)
    if walk_forward is not None and walk_forward.parameters:
        from vt_engine.validation import apply_params, grid

        for combo in grid(walk_forward.parameters):
            try:
                need = max(need, _spec_warmup(apply_params(spec, combo)))
            except EngineError:
                continue  # an invalid combination is skipped by the walk-forward too
    return need


def history_window(spec: StrategySpec, start: date, bars: int | None = None) -> date:
    """First calendar day to fetch so that ``bars`` (default ``warmup_bars(spec)``) bars exist
    before ``start``: bars per calendar day from the market's calendar, with 25% + 10 days of
    margin for holidays and gaps. ``trim_warmup`` then keeps exactly the bars needed."""
    need = warmup_bars(spec) if bars is None else bars
    if need <= 0:
        return start
    u = spec.universe
    per_day = periods_per_year(u.market, u.timeframe) / 365.25
    if u.timeframe == "1w":
        per_day = 1.0 / 7.0
    days = math.ceil(need / per_day * 1.25) + 10
    return start - timedelta(days=days)


@dataclass(frozen=True)
class Warmup:
    """Warm-up of one run: bars needed and bars actually kept before the first tradable bar."""

    required: int
    used: int
    warning: str | None = None


def trim_warmup(
    data: Mapping[str, pd.DataFrame],
    spec: StrategySpec,
    start: pd.Timestamp | date | None,
    *,
    required: int | None = None,
) -> tuple[dict[str, pd.DataFrame], Warmup]:
    """Keep exactly ``required`` (default ``warmup_bars(spec)``) bars of every frame before
    ``start`` (counted on the first traded symbol's bars) and everything from ``start`` on.

    The backtest worker and the trading runner both call this, so the recursive indicators of
    a deployment start from the same bar as its backtest (identical signals)."""
    need = warmup_bars(spec) if required is None else required
    if start is None:
        return dict(data), Warmup(need, 0)
    ts = pd.Timestamp(start)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    first = spec.pair.leg_a if spec.pair is not None else spec.universe.symbols[0]
    if first not in data:
        return dict(data), Warmup(need, 0)
    idx = pd.DatetimeIndex(data[first].index)
    for s in spec.universe.symbols[1:]:
        if s in data and not data[s].index.equals(idx):
            idx = idx.intersection(pd.DatetimeIndex(data[s].index))
    before = int(idx.searchsorted(ts, side="left"))
    used = min(before, need)
    cut = idx[before - used] if used > 0 else ts
    out = {sym: df.loc[df.index >= cut] for sym, df in data.items()}
    warning = None
    if used < need:
        warning = (
            f"the data has {used} bar(s) before {ts.date()} but the indicators need {need} to warm "
            f"up; signals in the first {need - used} bar(s) of the period may be missing or "
            "differ from a longer history (start the period later or use data reaching further back)"
        )
    return out, Warmup(need, used, warning)


# ------------------------------------------------------------------------------------------
# Model state
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectiveOrder:
    """A resting exit the engine has in force: a stop (fixed or trailing) or one take-profit
    stage. Prices are the engine's trigger levels (the engine's fill is the level, or the open
    when the bar gaps through it, less slippage)."""

    symbol: str
    kind: Literal["stop", "take_profit"]
    side: Literal["buy", "sell"]
    qty: float
    price: float
    reason: str  # "stop_loss" | "trailing_stop" | "take_profit"
    stage: int = 0


@dataclass(frozen=True)
class ModelState:
    """What the engine holds after the open or close phase of bar ``as_of``."""

    as_of: pd.Timestamp
    phase: Phase
    positions: dict[str, float]
    avg_prices: dict[str, float]
    cash: float
    equity: float
    protective: list[ProtectiveOrder]
    signals: dict[str, str]
    orders: pd.DataFrame
    warmup_bars: int
    spec_hash: str
    warnings: list[str] = field(default_factory=list)


def _open_print(df: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """``df`` with bar ``at`` reduced to its open print (high = low = close = open, volume 0)."""
    if len(df) == 0 or df.index[-1] != at:
        return df
    out = df.copy()
    cols = {str(c).lower(): c for c in out.columns}
    o = out.iloc[-1][cols["open"]]
    last = out.index[-1]
    for c in ("high", "low", "close"):
        out.loc[last, cols[c]] = o
    out.loc[last, cols["volume"]] = 0.0
    return out


def model_state(
    spec: StrategySpec,
    data: Mapping[str, pd.DataFrame],
    *,
    capital: float,
    start: pd.Timestamp,
    through: pd.Timestamp,
    phase: Phase,
) -> ModelState:
    """The engine's state after the ``phase`` of bar ``through``, trading from ``start``.

    ``data`` are OHLCV frames (UTC index) that include warm-up history before ``start`` (use
    ``trim_warmup`` with the backtest's rule). ``phase="open"`` sees bar ``through`` only as
    its open print: the position is the one the engine holds right after its open fills (and
    gap exits), ``protective`` are the stops/take-profits in force for the rest of the bar.
    ``phase="close"`` sees the whole bar: ``signals`` is the decision at its close and
    ``protective`` the exits in force from the next bar's open. Equal to ``run_backtest`` on
    the same bars with ``period.start = start`` and ``initial_capital = capital``."""
    from vt_engine._kernels import LIVE_CLOSE, LIVE_OPEN
    from vt_engine.compiler import compile_frames
    from vt_engine.engine import prepare, sim_inputs, spec_config
    from vt_engine.simulator import REASONS, simulate

    if phase not in ("open", "close"):
        raise EngineError("bad_parameter", f"phase must be 'open' or 'close', got {phase!r}")
    through = _utc(through)
    start = _utc(start)
    if start > through:
        raise EngineError("bad_period", f"start ({start}) is after through ({through})")
    cut: dict[str, pd.DataFrame] = {}
    for sym, df in data.items():
        part = df.loc[df.index <= through]
        cut[sym] = _open_print(part, through) if phase == "open" else part
    # the period is given by start/through here; prepare() needs only the frames
    base = spec.model_copy(update={"period": type(spec.period)()})
    p = prepare(base, cut)
    index = p.index
    if len(index) == 0 or index[-1] != through:
        raise EngineError(
            "missing_bar",
            f"no bar at {through} for {p.columns}; model_state needs the bar it is asked about",
        )
    lo = int(index.searchsorted(start, side="left"))
    hi = len(index)
    if lo >= hi:
        raise EngineError("bad_period", f"no bar between {start} and {through}")
    cfg = replace(spec_config(spec), init_cash=float(capital))
    p = replace(p, spec=spec, cfg=cfg)
    sigs = compile_frames(spec, p.frames)
    inputs = sim_inputs(p, sigs, lo, hi)
    sim = simulate(inputs, cfg, live_last=LIVE_OPEN if phase == "open" else LIVE_CLOSE)
    fin = sim.final
    assert fin is not None
    cols = list(p.columns)
    positions = {s: float(fin.pos[j]) for j, s in enumerate(cols)}
    avg = {s: float(fin.avg[j]) if fin.pos[j] != 0.0 else 0.0 for j, s in enumerate(cols)}
    signals: dict[str, str] = {}
    for j, s in enumerate(cols):
        key = 0 if spec.pair is not None else j
        act = int(fin.pend[key]) if phase == "close" else 0
        if phase == "close" and act == _SCALE:
            signals[s] = "scale_in"
        elif phase == "close" and _SIGNALS.get(act):
            signals[s] = str(_SIGNALS[act])
        else:
            signals[s] = "hold" if positions[s] != 0.0 else "flat"
    protective = [] if spec.pair is not None else _protective(cols, fin, cfg, signals, phase)
    o = sim.orders
    orders = pd.DataFrame(
        {
            "bar_at": pd.DatetimeIndex(inputs.index[o["bar"].to_numpy()]),
            "symbol": [cols[int(c)] for c in o["col"].tolist()],
            "size": o["size"].to_numpy(),
            "price": o["price"].to_numpy(),
            "fees": o["fees"].to_numpy(),
            "reason": [REASONS[int(r)] for r in o["reason"].tolist()],
        }
    )
    warnings = list(p.warnings)
    return ModelState(
        as_of=through,
        phase=phase,
        positions=positions,
        avg_prices=avg,
        cash=float(sim.cash[-1]),
        equity=float(sim.equity[-1]),
        protective=protective,
        signals=signals,
        orders=orders,
        warmup_bars=lo,
        spec_hash=spec.spec_hash(),
        warnings=warnings,
    )


def target_estimate(
    spec: StrategySpec,
    data: Mapping[str, pd.DataFrame],
    *,
    capital: float,
    start: pd.Timestamp,
    through: pd.Timestamp,
) -> dict[str, float]:
    """The position the engine would hold after the next open if that open printed at the close
    of ``through``: the close-phase decision sized with the best price known at the close (for
    the target snapshot; the order itself is sized again at the open, ADR 0005 point 3)."""
    through = _utc(through)
    bar = pd.Timedelta(minutes=BAR_MINUTES[spec.universe.timeframe])
    nxt = through + bar
    traded = set(spec.universe.symbols) | (
        {spec.pair.leg_a, spec.pair.leg_b} if spec.pair is not None else set()
    )
    ext: dict[str, pd.DataFrame] = {}
    for sym, df in data.items():
        part = df.loc[df.index <= through]
        if sym in traded and len(part) and part.index[-1] == through:
            cols = {str(c).lower(): c for c in part.columns}
            c = float(part.iloc[-1][cols["close"]])
            row = pd.DataFrame(
                {cols[k]: [c] for k in ("open", "high", "low", "close")} | {cols["volume"]: [0.0]},
                index=pd.DatetimeIndex([nxt], name=part.index.name),
            )
            part = pd.concat([part, row[part.columns]])
        ext[sym] = part
    return model_state(spec, ext, capital=capital, start=start, through=nxt, phase="open").positions


def _utc(ts: pd.Timestamp | date) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _protective(
    cols: list[str],
    fin: FinalState,
    cfg: SimConfig,
    signals: Mapping[str, str],
    phase: Phase,
) -> list[ProtectiveOrder]:
    """The exits the kernel checks intrabar for each open position, with its levels and
    quantities (the kernel's own formulas)."""
    out: list[ProtectiveOrder] = []
    for j, sym in enumerate(cols):
        p = float(fin.pos[j])
        if p == 0.0:
            continue
        d = 1 if p > 0 else -1
        side: Literal["buy", "sell"] = "sell" if d > 0 else "buy"
        ref = float(fin.ref[j])
        stop = math.nan
        reason = "stop_loss"
        if cfg.stop_kind != "none":
            dist = float(fin.sl_dist[j])
            if math.isfinite(dist):
                stop = ref - d * dist
        if cfg.trailing > 0.0:
            trail = float(fin.best[j]) * (1.0 - d * cfg.trailing)
            if math.isnan(stop) or (d > 0 and trail > stop) or (d < 0 and trail < stop):
                stop, reason = trail, "trailing_stop"
        if not math.isnan(stop):
            out.append(ProtectiveOrder(sym, "stop", side, abs(p), stop, reason, 0))
        if phase == "close" and signals.get(sym) in ("exit", "reverse"):
            # the position leaves at the next open by the signal: a take-profit gapped at that
            # open would split the engine's single exit in two (the stop, if it gaps, fills
            # exactly like the signal exit: same price, quantity and fee)
            continue
        remaining = abs(p)
        n_tp = len(cfg.tp_gains)
        for stage in range(int(fin.tp_next[j]), n_tp):
            if remaining <= 0.0:
                break
            level = ref * (1.0 + d * cfg.tp_gains[stage])
            if stage == n_tp - 1:
                u = remaining
            else:
                u = cfg.tp_fracs[stage] * float(fin.peak[j])
                if not cfg.fractional:
                    u = math.floor(u + 1e-9)
                u = min(u, remaining)
            if u <= 0.0:
                continue
            out.append(ProtectiveOrder(sym, "take_profit", side, u, level, "take_profit", stage))
            remaining -= u
            if abs(remaining) < 1e-12:
                remaining = 0.0
    return out
