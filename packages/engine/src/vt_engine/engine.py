"""run_backtest / run_code_backtest: data + strategy -> BacktestResult."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vt_contracts.backtest import (
    BacktestResult,
    CodeStrategy,
    GateThresholds,
    Provenance,
    Series,
    SummaryStats,
    Trade,
    WalkForwardConfig,
    WalkForwardReport,
)
from vt_contracts.strategy import (
    ATRStop,
    FixedCash,
    FractionalKelly,
    Market,
    PercentOfEquity,
    PercentStop,
    SpreadZScore,
    StrategySpec,
    VolatilityTarget,
)
from vt_engine import gates as gt
from vt_engine import indicators as ind
from vt_engine import metrics as mx
from vt_engine import rigour
from vt_engine.compiler import Signals, compile_frames, pair_key, period_bounds, period_mask
from vt_engine.data import align, clean_frame, hash_frames, prepare_data, slice_dates
from vt_engine.errors import EngineError
from vt_engine.simulator import REASONS, SimConfig, SimInputs, SimResult, simulate
from vt_engine.timing import periods_per_year
from vt_engine.version import ENGINE_VERSION

SignalArrays = tuple[Any, Any, Any | None, Any | None]
MAX_POINTS = 20_000
"""Most points per result series (longer runs are bucketed for charts; metrics use all bars)."""
Progress = Callable[[float], None] | None


# ------------------------------------------------------------------------------------------
# Spec -> simulation inputs
# ------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """Everything needed to simulate a spec on its data (full history, period mask)."""

    spec: StrategySpec
    frames: dict[str, pd.DataFrame]
    keys: list[str]  # signal keys (symbols, or the pair key)
    columns: list[str]  # traded columns (symbols; the two legs for a pair)
    index: pd.DatetimeIndex
    mask: np.ndarray  # bars inside the spec's period
    warnings: list[str]
    ppy: float
    cfg: SimConfig


def spec_config(spec: StrategySpec) -> SimConfig:
    """Translate the spec's percent-based settings into simulator fractions."""
    fractional = (
        spec.execution.fractional_units
        if spec.execution.fractional_units is not None
        else spec.universe.market == "crypto"
    )
    sz = spec.sizing
    a, b, c, d = 1.0, 1.0, 0.0, 0.1
    if isinstance(sz, PercentOfEquity):
        a = sz.percent / 100.0
    elif isinstance(sz, FixedCash):
        a = sz.amount
    elif isinstance(sz, VolatilityTarget):
        a, b = sz.target_vol_pct / 100.0, sz.max_leverage
    elif isinstance(sz, FractionalKelly):
        a, b, c, d = (
            sz.fraction,
            sz.max_percent / 100.0,
            float(sz.min_trades),
            sz.fallback_percent / 100.0,
        )
    risk = spec.risk
    stop_kind = "none"
    stop_value = 0.0
    if isinstance(risk.stop_loss, PercentStop):
        stop_kind, stop_value = "percent", risk.stop_loss.percent / 100.0
    elif isinstance(risk.stop_loss, ATRStop):
        stop_kind, stop_value = "atr", risk.stop_loss.multiple
    return SimConfig(
        init_cash=spec.initial_capital,
        commission=spec.costs.commission_pct / 100.0,
        commission_fixed=spec.costs.commission_fixed,
        slippage=spec.costs.slippage_pct / 100.0,
        fill=spec.execution.fill,
        fractional=bool(fractional),
        sizing=sz.kind,
        size_a=a,
        size_b=b,
        size_c=c,
        size_d=d,
        stop_kind=stop_kind,  # type: ignore[arg-type]
        stop_value=stop_value,
        trailing=risk.trailing_stop.percent / 100.0 if risk.trailing_stop else 0.0,
        tp_gains=tuple(s.gain_pct / 100.0 for s in risk.take_profit),
        tp_fracs=tuple(s.fraction for s in risk.take_profit),
        scale_moves=tuple(s.move_pct / 100.0 for s in spec.scale_in),
        scale_fracs=tuple(s.fraction for s in spec.scale_in),
        max_hold=risk.max_holding_bars or 0,
        pair=spec.pair is not None,
    )


def prepare(spec: StrategySpec, data: Mapping[str, pd.DataFrame]) -> Prepared:
    frames, warnings = prepare_data(spec, data)
    if spec.pair is not None:
        r = spec.risk
        if r.stop_loss or r.trailing_stop or r.take_profit or spec.scale_in:
            raise EngineError(
                "unsupported",
                "pairs strategies support signal exits and risk.max_holding_bars only; remove stop_loss, trailing_stop, take_profit and scale_in",
            )
        keys = [pair_key(spec.pair.leg_a, spec.pair.leg_b)]
        columns = [spec.pair.leg_a, spec.pair.leg_b]
    else:
        keys = list(spec.universe.symbols)
        columns = keys
    index = pd.DatetimeIndex(frames[columns[0]].index)
    start, end = period_bounds(spec)
    mask = period_mask(index, start, end)
    if mask.sum() < 2:
        raise EngineError(
            "bad_period",
            f"the period {spec.period.start or '...'} to {spec.period.end or '...'} contains "
            f"{int(mask.sum())} bar(s) of data ({index[0].date()} to {index[-1].date()}); choose a period with data",
        )
    ppy = periods_per_year(spec.universe.market, spec.universe.timeframe)
    return Prepared(spec, frames, keys, columns, index, mask, warnings, ppy, spec_config(spec))


def sim_inputs(
    p: Prepared, sigs: Mapping[str, Signals], lo: int | None = None, hi: int | None = None
) -> SimInputs:
    """Arrays for bars [lo, hi) of the full index (defaults: the spec's period)."""
    spec = p.spec
    if lo is None or hi is None:
        where = np.flatnonzero(p.mask)
        lo, hi = int(where[0]), int(where[-1]) + 1
    sl = slice(lo, hi)
    frames = [p.frames[c] for c in p.columns]

    def col(name: str) -> np.ndarray:
        return np.column_stack([f[name].to_numpy(dtype=np.float64)[sl] for f in frames])

    n = hi - lo
    k = len(p.columns)

    def sig(attr: str) -> np.ndarray:
        if spec.pair is not None:
            out = np.zeros((n, 2), dtype=bool)
            out[:, 0] = getattr(sigs[p.keys[0]], attr).to_numpy(dtype=bool)[sl]
            return out
        return np.column_stack(
            [getattr(sigs[key], attr).to_numpy(dtype=bool)[sl] for key in p.keys]
        )

    if spec.pair is not None:
        weights = np.array([1.0, 0.0])
    elif spec.universe.weights is not None:
        weights = np.array([spec.universe.weights.get(s, 0.0) for s in p.columns])
    else:
        weights = np.full(k, 1.0 / k)
    atr = vol = beta = None
    if isinstance(spec.risk.stop_loss, ATRStop):
        w = spec.risk.stop_loss.window
        atr = np.column_stack(
            [ind.atr(f["high"], f["low"], f["close"], w).to_numpy()[sl] for f in frames]
        )
    if isinstance(spec.sizing, VolatilityTarget):
        lb = spec.sizing.lookback
        vol = np.column_stack(
            [ind.realized_vol(f["close"], lb, p.ppy).to_numpy()[sl] / 100.0 for f in frames]
        )
    if spec.pair is not None:
        beta = np.ones((n, 2))
        for i in spec.indicators:
            if isinstance(i, SpreadZScore) and {i.leg_a, i.leg_b} == set(p.columns):
                b = ind.spread_zscore(
                    p.frames[i.leg_a]["close"], p.frames[i.leg_b]["close"], i.window, i.hedge_ratio
                )["beta"].to_numpy()[sl]
                if i.leg_a != p.columns[0]:
                    with np.errstate(divide="ignore"):
                        b = 1.0 / b
                beta[:, 0] = b
                break
    return SimInputs(
        index=p.index[sl],  # type: ignore[arg-type]
        columns=list(p.columns),
        open=col("open"),
        high=col("high"),
        low=col("low"),
        close=col("close"),
        entries=sig("entries"),
        exits=sig("exits"),
        short_entries=sig("short_entries"),
        short_exits=sig("short_exits"),
        weights=weights,
        atr=atr,
        vol=vol,
        beta=beta,
    )


# ------------------------------------------------------------------------------------------
# Result building
# ------------------------------------------------------------------------------------------


def _series(index: pd.DatetimeIndex, values: np.ndarray, stamps: list[Any] | None = None) -> Series:
    ts = stamps if stamps is not None else list(index.to_pydatetime())
    vals = np.asarray(values, dtype=np.float64)
    if np.isfinite(vals).all():
        out: list[float | None] = vals.tolist()
    else:
        out = [v if np.isfinite(v) else None for v in vals.tolist()]
    return Series.model_construct(timestamps=ts, values=out)


def build_trades(sim: SimResult, stamps: Any) -> list[Trade]:
    trades: list[Trade] = []
    t = sim.trades
    if len(t) == 0:
        return trades
    rows = zip(
        t["col"].tolist(),
        t["direction"].tolist(),
        t["entry_bar"].tolist(),
        t["entry_price"].tolist(),
        t["exit_bar"].tolist(),
        t["exit_price"].tolist(),
        t["size"].tolist(),
        t["pnl"].tolist(),
        t["return_pct"].tolist(),
        t["fees"].tolist(),
        t["reason"].tolist(),
        t["is_open"].tolist(),
        mx.round_trip_ids(t).tolist(),
        strict=True,
    )
    for c, d, eb, ep, xb, xp, size, pnl, ret, fees, reason, is_open, rt in rows:
        # values are already typed (str, datetime, float, int, bool): skip re-validation
        trades.append(
            Trade.model_construct(
                symbol=sim.columns[c],
                direction="long" if d > 0 else "short",
                entry_time=stamps[eb],
                entry_price=float(ep),
                exit_time=stamps[xb],
                exit_price=float(xp),
                size=float(size),
                pnl=float(pnl),
                return_pct=float(ret),
                fees=max(float(fees), 0.0),
                duration_bars=max(int(xb - eb), 0),
                exit_reason=REASONS[int(reason)],  # type: ignore[arg-type]
                is_open=bool(is_open),
                round_trip=rt,
            )
        )
    trades.sort(key=lambda tr: (tr.entry_time, tr.symbol))
    return trades


def buy_and_hold(
    index: pd.DatetimeIndex,
    closes: Sequence[np.ndarray],
    weights: np.ndarray,
    init_cash: float,
) -> np.ndarray:
    """Buy-and-hold equity (no costs, fractional units, bought at the first close)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.sum() <= 0:
        w = np.full(len(closes), 1.0 / len(closes))
    cash_left = init_cash * (1.0 - w.sum())
    eq = np.full(len(index), cash_left)
    for wi, c in zip(w, closes, strict=True):
        c = np.asarray(c, dtype=np.float64)
        finite = np.isfinite(c)
        if finite.all():
            filled, first = c, c[0]
        else:
            first = c[finite][0] if finite.any() else np.nan
            filled = pd.Series(c).ffill().bfill().to_numpy()
        eq = eq + init_cash * wi * filled / first
    return eq


def benchmark_curve(
    spec_benchmark_symbol: str | None,
    benchmark: pd.DataFrame | None,
    data: Mapping[str, pd.DataFrame],
    index: pd.DatetimeIndex,
    fallback_closes: Sequence[np.ndarray],
    fallback_weights: np.ndarray,
    init_cash: float,
    warnings: list[str],
) -> np.ndarray:
    frame = None
    if benchmark is not None:
        frame = clean_frame(spec_benchmark_symbol or "benchmark", benchmark)
    elif spec_benchmark_symbol is not None:
        if spec_benchmark_symbol in data:
            frame = clean_frame(spec_benchmark_symbol, data[spec_benchmark_symbol])
        else:
            warnings.append(
                f"benchmark '{spec_benchmark_symbol}' has no data; the benchmark is buy-and-hold of the traded symbols"
            )
    if frame is not None:
        c = frame["close"]
        aligned = c.reindex(c.index.union(index)).ffill().reindex(index).to_numpy()
        if not np.isfinite(aligned).any():
            warnings.append(
                "the benchmark data does not overlap the backtest; using buy-and-hold of the traded symbols"
            )
        else:
            return buy_and_hold(index, [aligned], np.array([1.0]), init_cash)
    return buy_and_hold(index, fallback_closes, fallback_weights, init_cash)


def conventions(
    cfg: SimConfig, ppy: float, market: str, timeframe: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    fill = (
        "next_open: decision on the close of bar t, fill at the open of bar t+1"
        if cfg.fill == "next_open"
        else "close (RESEARCH SHORTCUT, optimistic): fill at the close of the decision bar"
    )
    out = {
        "fill_price": fill
        + f"; slippage {cfg.slippage:.6g} of price, adverse (buys pay more, sells get less)",
        "sizing": (
            f"{cfg.sizing}; {'fractional' if cfg.fractional else 'whole'} units; units = "
            "(budget - fixed fee) / (1 + commission) / fill price, capped by available cash"
        ),
        "commission": f"{cfg.commission:.6g} of traded value per fill + {cfg.commission_fixed:.6g} fixed per order",
        "annualisation": (
            f"{ppy:g} bars per year ({market}, {timeframe}); Sharpe = mean/std(ddof=1) of bar "
            "returns x sqrt(bars per year), risk-free 0"
        ),
        "stops": (
            "stops, trailing stops and take-profits are checked intrabar from the fill bar on: "
            "a gap through the level fills at the open, else at the level; stop before take-profit "
            "when both are touched in one bar; trailing peak uses highs up to the previous bar and this open"
        ),
        "end_of_data": "positions open at the end are marked to the last close (no exit fee) and listed with is_open",
        "benchmark": "buy-and-hold at the first close, no costs, fractional units",
    }
    if extra:
        out.update(extra)
    return out


def _hash(*parts: str) -> str:
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def assemble(
    *,
    sim: SimResult,
    cfg: SimConfig,
    ppy: float,
    bench: np.ndarray | None,
    gates: GateThresholds | None,
    wf: WalkForwardReport | None,
    spec_hash: str,
    gate_profile: str = gt.DEFAULT_PROFILE,
    style: gt.Style | None = None,
    data_hash: str,
    conv: dict[str, str],
    data_sources: dict[str, str] | None,
    warnings: list[str],
    warmup: tuple[int, int] | None = None,
) -> BacktestResult:
    index = sim.index
    n_bars = len(index)
    stamps: Any
    if n_bars > MAX_POINTS:
        # convert only the timestamps that are shown (bucket ends, trade times)
        step = -(-n_bars // MAX_POINTS)
        need = [np.arange(step - 1, n_bars, step), np.array([n_bars - 1])]
        if len(sim.trades):
            need += [sim.trades["entry_bar"].to_numpy(), sim.trades["exit_bar"].to_numpy()]
        bars = np.unique(np.concatenate(need))
        stamps = dict(zip(bars.tolist(), index[bars].to_pydatetime(), strict=True))
    else:
        stamps = list(index.to_pydatetime())
    total_fees = float(sim.orders["fees"].sum()) if len(sim.orders) else 0.0
    stats = mx.summary(
        index=index,
        equity=sim.equity,
        init_cash=cfg.init_cash,
        trades=sim.trades,
        exposure=sim.exposure,
        ppy=ppy,
        total_fees=total_fees,
        benchmark=bench,
    )
    summary = SummaryStats(**stats)
    # eligibility uses the server profile only; request thresholds are a labelled what-if
    g = gt.evaluate(gate_profile, summary, wf, style=style)
    what_if = gt.what_if(gates, summary, wf) if gates is not None else []
    run_hash = _hash(spec_hash, data_hash, ENGINE_VERSION)
    if stats["trade_count"] == 0 and not (len(sim.trades) and sim.trades["is_open"].any()):
        warnings = [
            *warnings,
            "the strategy made no trades in this period; check the entry conditions and the period",
        ]
    eq = sim.equity
    dd = mx.drawdown_pct(eq, cfg.init_cash)
    n = len(eq)
    if n > MAX_POINTS:
        # charts get at most MAX_POINTS points (metrics use every bar): each point closes a
        # bucket of bars - equity/benchmark at the bucket's last bar, the deepest drawdown in
        # the bucket, the compounded return over the bucket.
        step = -(-n // MAX_POINTS)
        ends = np.arange(step - 1, n, step)
        if ends[-1] != n - 1:
            ends = np.append(ends, n - 1)
        starts = np.concatenate(([0], ends[:-1] + 1))
        sel_index = pd.DatetimeIndex(index[ends])
        sel_stamps = [stamps[i] for i in ends.tolist()]
        sel_eq = eq[ends]
        prev = np.concatenate(([cfg.init_cash], sel_eq[:-1]))
        curves = (
            _series(sel_index, sel_eq, sel_stamps),
            _series(sel_index, bench[ends], sel_stamps) if bench is not None else None,
            _series(sel_index, np.minimum.reduceat(dd, starts), sel_stamps),
            _series(sel_index, sel_eq / prev - 1.0, sel_stamps),
        )
        warnings = [
            *warnings,
            f"{n} bars: the equity, drawdown, returns and benchmark series are reduced to {len(ends)} points of {step} bars each (metrics use every bar)",
        ]
    else:
        curves = (
            _series(index, eq, stamps),
            _series(index, bench, stamps) if bench is not None else None,
            _series(index, dd, stamps),
            _series(index, mx.bar_returns(eq, cfg.init_cash), stamps),
        )
    return BacktestResult.model_construct(
        summary_stats=summary,
        equity_curve=curves[0],
        benchmark_curve=curves[1],
        drawdown_curve=curves[2],
        returns=curves[3],
        trades=build_trades(sim, stamps),
        gates=g,
        gate_profile=gate_profile,
        what_if_gates=what_if,
        walk_forward=wf,
        robustness=rigour.robustness(
            sim.trades, mx.bar_returns(sim.equity, cfg.init_cash), cfg.init_cash, ppy
        ),
        provenance=Provenance(
            spec_hash=spec_hash,
            data_hash=data_hash,
            engine_version=ENGINE_VERSION,
            run_hash=run_hash,
            conventions=conv,
            data_sources=dict(data_sources or {}),
            warmup_bars=warmup[0] if warmup else None,
            warmup_required=warmup[1] if warmup else None,
        ),
        warnings=list(warnings),
    )


# ------------------------------------------------------------------------------------------
# Public entry points
# ------------------------------------------------------------------------------------------


def run_backtest(
    spec: StrategySpec,
    data: Mapping[str, pd.DataFrame],
    *,
    benchmark: pd.DataFrame | None = None,
    gates: GateThresholds | None = None,
    walk_forward: WalkForwardConfig | None = None,
    progress: Callable[[float], None] | None = None,
    data_sources: dict[str, str] | None = None,
    data_hash: str | None = None,
    gate_profile: str = gt.DEFAULT_PROFILE,
) -> BacktestResult:
    """Backtest a StrategySpec on OHLCV frames (dict symbol -> DataFrame, UTC index).

    ``gate_profile`` (server-owned) decides ``gates``; ``gates`` given here are a what-if only.
    """
    if progress:
        progress(0.0)
    p = prepare(spec, data)
    sigs = compile_frames(spec, p.frames)
    if progress:
        progress(0.2)
    inputs = sim_inputs(p, sigs)
    sim = simulate(inputs, p.cfg)
    if progress:
        progress(0.4)
    warnings = list(p.warnings)
    warm = _warmup_used(spec, p, walk_forward, warnings)
    bench = benchmark_curve(
        spec.benchmark.symbol,
        benchmark,
        data,
        inputs.index,
        [inputs.close[:, j] for j in range(inputs.close.shape[1])],
        inputs.weights if spec.pair is None else np.array([0.5, 0.5]),
        spec.initial_capital,
        warnings,
    )
    wf = None
    if walk_forward is not None:
        from vt_engine.validation import run_walk_forward

        def sub(x: float) -> None:
            if progress:
                progress(0.4 + 0.5 * x)

        wf = run_walk_forward(spec, data, walk_forward, progress=sub, prepared=p)
    if data_hash is None:
        data_hash = hash_frames(p.frames)  # traded symbols and indicator-only symbols
    result = assemble(
        sim=sim,
        cfg=p.cfg,
        ppy=p.ppy,
        bench=bench,
        gates=gates,
        wf=wf,
        spec_hash=spec.spec_hash(),
        gate_profile=gate_profile,
        style=gt.infer_style(spec),
        data_hash=data_hash,
        conv=conventions(
            p.cfg,
            p.ppy,
            spec.universe.market,
            spec.universe.timeframe,
            _spec_conventions(spec),
        ),
        data_sources=data_sources,
        warnings=warnings,
        warmup=warm,
    )
    if progress:
        progress(1.0)
    return result


def _warmup_used(
    spec: StrategySpec,
    p: Prepared,
    walk_forward: WalkForwardConfig | None,
    warnings: list[str],
) -> tuple[int, int]:
    """(bars of history before the first traded bar, bars the indicators need); warns when a
    period start leaves too little history for the indicators to warm up."""
    from vt_engine.live import warmup_bars

    used = int(np.flatnonzero(p.mask)[0])
    need = warmup_bars(spec, walk_forward)
    if spec.period.start is not None and used < need:
        warnings.append(
            f"only {used} bar(s) of history before {p.index[used].date()} but the indicators need "
            f"{need} to warm up: signals in the first {need - used} bar(s) may be missing or differ "
            "(start the period later or use data reaching further back)"
        )
    return used, need


def _spec_conventions(spec: StrategySpec) -> dict[str, str]:
    extra: dict[str, str] = {}
    if spec.pair is not None:
        extra["pairs"] = (
            f"long spread = buy {spec.pair.leg_a} and sell {spec.pair.leg_b}; the entry budget is split "
            "beta-weighted: value(leg_b) = |beta| x value(leg_a) with beta from the pair's spread_zscore "
            "at the decision bar (dollar-neutral, beta = 1, when the spec has no spread_zscore on the legs)"
        )
    if spec.scale_in:
        extra["scale_in"] = (
            "the first entry buys (1 - sum of tranche fractions) of the full size; a tranche is "
            "decided when the close has moved move_pct from the first fill (in the position's "
            "favour for positive values) and fills like a signal"
        )
    if isinstance(spec.sizing, FractionalKelly):
        extra["kelly"] = (
            "Kelly f = W - (1 - W) / R from the strategy's closed trades (W win rate, R avg win / "
            "avg loss, returns), times fraction, capped; fallback_percent until min_trades closed"
        )
    if isinstance(spec.sizing, VolatilityTarget):
        extra["volatility_target"] = (
            "position value = equity x weight x min(target_vol / realised vol (annualised, "
            "lookback bars, at the decision bar), max_leverage), capped by available cash"
        )
    if spec.universe.weights is not None or len(spec.universe.symbols) > 1:
        extra["portfolio"] = (
            "one cash account shared by all symbols; exits are filled before entries on each bar; "
            "percent sizing applies to the symbol's weight of current equity"
        )
    return extra


def _check_signal_array(a: Any, n: int, symbol: str, what: str) -> np.ndarray:
    try:
        arr = np.asarray(a)
    except Exception as exc:
        raise EngineError("bad_signals", f"{what} for '{symbol}' is not an array: {exc}") from exc
    if arr.ndim != 1 or arr.shape[0] != n:
        raise EngineError(
            "bad_signals",
            f"{what} for '{symbol}' has shape {arr.shape}; generate_signals must return one value per bar ({n})",
        )
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind in "iuf":
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            arr = np.nan_to_num(arr, nan=0.0)
        if not np.isin(arr, (0, 1)).all():
            raise EngineError(
                "bad_signals", f"{what} for '{symbol}' must be True/False (or 0/1) values"
            )
        return arr.astype(bool)
    raise EngineError("bad_signals", f"{what} for '{symbol}' must be booleans, got {arr.dtype}")


def run_code_backtest(
    code: CodeStrategy,
    data: Mapping[str, pd.DataFrame],
    signal_fn: Callable[[str, pd.DataFrame], SignalArrays] | None,
    *,
    signals_for_all: Callable[[Mapping[str, pd.DataFrame]], Mapping[str, SignalArrays]]
    | None = None,
    market: Market = "us_equity",
    benchmark: pd.DataFrame | None = None,
    gates: GateThresholds | None = None,
    progress: Callable[[float], None] | None = None,
    data_sources: dict[str, str] | None = None,
    data_hash: str | None = None,
    gate_profile: str = gt.DEFAULT_PROFILE,
) -> BacktestResult:
    """Backtest a custom-code strategy. ``signal_fn(symbol, frame)`` runs the user's code (in
    the sandbox) on the symbol's full history and returns (entries, exits, short_entries or
    None, short_exits or None) as boolean arrays; costs in ``code`` are FRACTIONS.
    ``signals_for_all({symbol: frame})``, when given instead, computes every symbol's signals
    in one call (one sandboxed process for all symbols rather than one per symbol)."""
    if (signal_fn is None) == (signals_for_all is None):
        raise ValueError("give exactly one of signal_fn and signals_for_all")
    if progress:
        progress(0.0)
    if not data:
        raise EngineError("empty_data", "no market data was provided")
    frames: dict[str, pd.DataFrame] = {}
    for s in code.symbols:
        if s not in data:
            raise EngineError("missing_symbol", f"no data for '{s}' (available: {sorted(data)})")
        frames[s] = clean_frame(s, data[s])
    idx, warnings = align(frames, list(code.symbols))
    if len(idx) == 0:
        raise EngineError("empty_data", "the symbols have no timestamps in common")
    for s in code.symbols:
        frames[s] = frames[s].reindex(idx)
    in_period = slice_dates(frames[code.symbols[0]], code.start, code.end)
    if len(in_period) < 2:
        raise EngineError(
            "bad_period",
            f"the period {code.start or '...'} to {code.end or '...'} contains {len(in_period)} bar(s) of data ({idx[0].date()} to {idx[-1].date()})",
        )
    mask = np.asarray(idx.isin(in_period.index))
    n = len(idx)
    cols: dict[str, list[np.ndarray]] = {"e": [], "x": [], "se": [], "sx": []}
    any_short = False
    every: Mapping[str, SignalArrays] = (
        signals_for_all({s: frames[s] for s in code.symbols}) if signals_for_all else {}
    )
    for j, s in enumerate(code.symbols):
        out = every[s] if signal_fn is None else signal_fn(s, frames[s])
        if not isinstance(out, tuple | list) or len(out) not in (2, 4):
            raise EngineError(
                "bad_signals",
                "generate_signals must return (entries, exits) or (entries, exits, short_entries, short_exits)",
            )
        e = _check_signal_array(out[0], n, s, "entries")
        x = _check_signal_array(out[1], n, s, "exits")
        se = np.zeros(n, dtype=bool)
        sx = np.zeros(n, dtype=bool)
        if len(out) == 4:
            if out[2] is not None:
                se = _check_signal_array(out[2], n, s, "short_entries")
                any_short = any_short or bool(se.any())
            if out[3] is not None:
                sx = _check_signal_array(out[3], n, s, "short_exits")
        cols["e"].append(e)
        cols["x"].append(x)
        cols["se"].append(se)
        cols["sx"].append(sx)
        if progress:
            progress(0.1 + 0.4 * (j + 1) / len(code.symbols))
    ppy = periods_per_year(market, code.timeframe)
    cfg = SimConfig(
        init_cash=code.initial_capital,
        commission=code.commission,
        slippage=code.slippage,
        fill=code.fill,
        fractional=market == "crypto",
        sizing="percent_equity",
        size_a=code.size,
    )
    k = len(code.symbols)
    flist = [frames[s] for s in code.symbols]

    def stack(name: str) -> np.ndarray:
        return np.column_stack([f[name].to_numpy(dtype=np.float64)[mask] for f in flist])

    inputs = SimInputs(
        index=pd.DatetimeIndex(idx[mask]),
        columns=list(code.symbols),
        open=stack("open"),
        high=stack("high"),
        low=stack("low"),
        close=stack("close"),
        entries=np.column_stack(cols["e"])[mask],
        exits=np.column_stack(cols["x"])[mask],
        short_entries=np.column_stack(cols["se"])[mask],
        short_exits=np.column_stack(cols["sx"])[mask],
        weights=np.full(k, 1.0 / k),
    )
    sim = simulate(inputs, cfg)
    bench = benchmark_curve(
        None,
        benchmark,
        data,
        inputs.index,
        [inputs.close[:, j] for j in range(k)],
        inputs.weights,
        code.initial_capital,
        warnings,
    )
    settings = code.model_dump(mode="json")
    settings["market"] = market
    spec_hash = _hash(json.dumps(settings, sort_keys=True, separators=(",", ":")))
    if data_hash is None:
        data_hash = hash_frames(frames)
    result = assemble(
        sim=sim,
        cfg=cfg,
        ppy=ppy,
        bench=bench,
        gates=gates,
        wf=None,
        spec_hash=spec_hash,
        gate_profile=gate_profile,
        data_hash=data_hash,
        conv=conventions(
            cfg,
            ppy,
            market,
            code.timeframe,
            {
                "code": "signals from generate_signals on each symbol's full history, then cut to the period; "
                "costs given as fractions; each symbol trades its equal share of one shared cash account"
                + ("; short signals used" if any_short else "")
            },
        ),
        data_sources=data_sources,
        warnings=warnings,
    )
    if progress:
        progress(1.0)
    return result
