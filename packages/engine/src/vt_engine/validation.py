"""Walk-forward optimisation over a parameter grid."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from vt_contracts.backtest import WalkForwardConfig, WalkForwardReport, WalkForwardWindow
from vt_contracts.strategy import StrategySpec
from vt_engine import metrics as mx
from vt_engine.compiler import Signals, compile_frames
from vt_engine.errors import EngineError

__all__ = ["apply_params", "grid", "objective_value", "run_walk_forward"]


def grid(parameters: Mapping[str, list[float]]) -> list[dict[str, float]]:
    """Cartesian product of a parameter grid, in a stable order."""
    keys = sorted(parameters)
    for k in keys:
        if not parameters[k]:
            raise EngineError("bad_parameter", f"walk-forward parameter '{k}' has no values")
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(parameters[k] for k in keys))
    ]


def apply_params(spec: StrategySpec, params: Mapping[str, float]) -> StrategySpec:
    """Copy of ``spec`` with ``'indicator_id.field'`` (or a dotted spec path such as
    ``'risk.max_holding_bars'``) set. Integral values go to integer fields as ints."""
    doc: dict[str, Any] = spec.model_dump(mode="json")
    by_id = {i["id"]: i for i in doc["indicators"]}
    for key, value in params.items():
        parts = key.split(".")
        if len(parts) < 2:
            raise EngineError(
                "bad_parameter",
                f"parameter '{key}' must look like 'indicator_id.field' (e.g. 'fast.window')",
            )
        target: Any
        if parts[0] in by_id:
            target = by_id[parts[0]]
            path = parts[1:]
        else:
            target = doc
            path = parts
        for p in path[:-1]:
            if not isinstance(target, dict) or p not in target or target[p] is None:
                raise EngineError(
                    "bad_parameter", f"parameter '{key}': '{p}' does not exist in the spec"
                )
            target = target[p]
        leaf = path[-1]
        if not isinstance(target, dict) or leaf not in target:
            raise EngineError(
                "bad_parameter", f"parameter '{key}': field '{leaf}' does not exist in the spec"
            )
        old = target[leaf]
        v: float | int = float(value)
        if isinstance(old, int) and not isinstance(old, bool):
            if float(value) != int(value):
                raise EngineError(
                    "bad_parameter", f"parameter '{key}' is a whole number; got {value}"
                )
            v = int(value)
        target[leaf] = v
    try:
        return StrategySpec.model_validate(doc)
    except ValidationError as exc:
        raise EngineError(
            "bad_parameter",
            f"parameters {dict(params)} give an invalid strategy: {exc.errors()[0]['msg']}",
        ) from exc


def objective_value(
    name: str, equity: np.ndarray, init_cash: float, trades: pd.DataFrame, ppy: float
) -> float:
    """Score of one in-sample run; undefined scores rank last (-inf)."""
    if name == "total_return_pct":
        return float(equity[-1] / init_cash - 1.0) * 100.0
    r = mx.bar_returns(equity, init_cash)
    v: float | None
    if name == "sharpe_ratio":
        v = mx.sharpe(r, ppy)
    elif name == "calmar_ratio":
        mdd = float(-mx.drawdown_pct(equity, init_cash).min())
        c = mx.cagr_pct(float(equity[-1]), init_cash, len(equity), ppy)
        v = c / mdd if c is not None and mdd > 0 else None
    elif name == "profit_factor":
        v = mx.trade_stats(trades)["profit_factor"]
    else:
        raise EngineError("bad_parameter", f"unknown walk-forward objective '{name}'")
    return float(v) if v is not None else float("-inf")


def exit_cost(trades: pd.DataFrame, last_close: np.ndarray, cfg: Any) -> float:
    """Commission and slippage of closing every open position at `last_close` (per column),
    the way the simulator fills an exit: fill = close -/+ slippage, fee = units x fill x
    commission + the fixed fee per order."""
    if len(trades) == 0:
        return 0.0
    open_ = trades[trades["is_open"].to_numpy(dtype=bool)]
    total = 0.0
    for c, d, u in zip(
        open_["col"].to_numpy(dtype=np.int64),
        open_["direction"].to_numpy(dtype=np.int64),
        open_["size"].to_numpy(dtype=np.float64),
        strict=True,
    ):
        px = float(last_close[c])
        units = abs(float(u))
        if units == 0.0 or not np.isfinite(px):
            continue
        fill = px * (1.0 - cfg.slippage) if d > 0 else px * (1.0 + cfg.slippage)
        total += units * px * cfg.slippage + units * fill * cfg.commission + cfg.commission_fixed
    return total


def run_walk_forward(
    spec: StrategySpec,
    data: Mapping[str, pd.DataFrame],
    config: WalkForwardConfig,
    *,
    progress: Callable[[float], None] | None = None,
    prepared: Any = None,
) -> WalkForwardReport:
    """Re-optimise on each in-sample window, trade the best parameters on the following
    out-of-sample window, and stitch the out-of-sample equity.

    Windows roll forward by ``out_of_sample_bars`` over the spec's period. Signals are
    computed on the full history (indicators are causal, so the in-sample run never sees
    its out-of-sample future); each window starts flat with the capital the stitched
    out-of-sample equity has reached, so positions open at a window's end are closed at its
    last close with their exit costs (`boundary_exit_cost`)."""
    from vt_engine.engine import prepare, sim_inputs
    from vt_engine.simulator import simulate

    p = prepared if prepared is not None else prepare(spec, data)
    where = np.flatnonzero(p.mask)
    lo, hi = int(where[0]), int(where[-1]) + 1
    n = hi - lo
    ins, oos = config.in_sample_bars, config.out_of_sample_bars
    if n < ins + oos:
        raise EngineError(
            "insufficient_bars",
            f"walk-forward needs at least in_sample_bars + out_of_sample_bars = {ins + oos} bars; the period has {n}",
        )
    combos = grid(config.parameters)
    # compile every parameter set once over the full history
    compiled: list[tuple[dict[str, float], Any, dict[str, Signals]]] = []
    for combo in combos:
        try:
            s = apply_params(spec, combo)
            ps = p if s == spec else _reprepare(p, s)
        except EngineError:
            continue
        compiled.append((combo, ps, compile_frames(s, ps.frames)))
    if not compiled:
        raise EngineError(
            "bad_parameter", "no parameter combination in the walk-forward grid is valid"
        )
    starts = list(range(lo, hi - ins - oos + 1, oos))
    windows: list[WalkForwardWindow] = []
    eq_parts: list[np.ndarray] = []
    idx_parts: list[pd.DatetimeIndex] = []
    capital = spec.initial_capital
    total_steps = len(starts) * (len(compiled) + 1)
    step = 0
    from dataclasses import replace

    for w0 in starts:
        is_lo, is_hi = w0, w0 + ins
        oos_lo, oos_hi = is_hi, min(is_hi + oos, hi)
        best: tuple[float, int] | None = None
        for j, (_combo, ps, sigs) in enumerate(compiled):
            inp = sim_inputs(ps, sigs, is_lo, is_hi)
            sim = simulate(inp, ps.cfg)
            score = objective_value(
                config.objective, sim.equity, ps.cfg.init_cash, sim.trades, ps.ppy
            )
            if best is None or score > best[0]:
                best = (score, j)
            step += 1
            if progress:
                progress(step / total_steps)
        assert best is not None
        combo, ps, sigs = compiled[best[1]]
        inp = sim_inputs(ps, sigs, oos_lo, oos_hi)
        sim = simulate(inp, replace(ps.cfg, init_cash=capital))
        equity = sim.equity
        cost = 0.0
        if w0 != starts[-1]:
            # the next window starts flat: what is still open is sold at this window's last close
            cost = exit_cost(sim.trades, inp.close[-1], ps.cfg)
            if cost > 0.0:
                equity = equity.copy()
                equity[-1] -= cost
        ret = float(equity[-1] / capital - 1.0) * 100.0
        windows.append(
            WalkForwardWindow(
                in_sample_start=p.index[is_lo].to_pydatetime(),
                in_sample_end=p.index[is_hi - 1].to_pydatetime(),
                out_of_sample_start=p.index[oos_lo].to_pydatetime(),
                out_of_sample_end=p.index[oos_hi - 1].to_pydatetime(),
                best_params={k: float(v) for k, v in combo.items()},
                in_sample_score=mx.num(best[0]),
                out_of_sample_return_pct=ret,
                boundary_exit_cost=cost,
            )
        )
        eq_parts.append(equity)
        idx_parts.append(inp.index)
        capital = float(equity[-1])
        step += 1
        if progress:
            progress(step / total_steps)
    equity = np.concatenate(eq_parts)
    index = idx_parts[0].append(idx_parts[1:]) if len(idx_parts) > 1 else idx_parts[0]
    from vt_engine.engine import _series

    r = mx.bar_returns(equity, spec.initial_capital)
    return WalkForwardReport(
        windows=windows,
        oos_equity=_series(pd.DatetimeIndex(index), equity),
        oos_total_return_pct=float(equity[-1] / spec.initial_capital - 1.0) * 100.0,
        oos_sharpe_ratio=mx.sharpe(r, p.ppy),
    )


def _reprepare(p: Any, spec: StrategySpec) -> Any:
    """Prepared copy for a parameter variant (same frames and period, new spec + config)."""
    from dataclasses import replace

    from vt_engine.engine import spec_config

    if len(p.index) <= spec.max_lookback():
        raise EngineError("insufficient_bars", "not enough bars for this parameter set")
    return replace(p, spec=spec, cfg=spec_config(spec))
