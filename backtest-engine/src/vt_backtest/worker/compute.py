"""The CPU part of a job: data checks, then vt_engine (custom code only through vt_sandbox).

`compute(job)` is synchronous and runs in a worker thread of a worker process, never in the API
event loop. It raises `JobFailed` for anything the user must change; other exceptions are
unexpected and make the job retry (up to the attempt limit).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from vt_backtest.worker.errors import JobFailed, fail
from vt_contracts import BacktestRequest, BacktestResult, FieldError, Market

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]


@dataclass
class ComputeJob:
    """Everything the engine needs; `progress(0..1)` may be called from the compute thread."""

    request: BacktestRequest
    data: Mapping[str, pd.DataFrame]
    benchmark: pd.DataFrame | None
    data_sources: dict[str, str]
    market: Market
    progress: ProgressFn = field(default=lambda _p: None)
    sandbox_cpu_seconds: float = 10.0
    sandbox_wall_seconds: float = 30.0


Compute = Callable[[ComputeJob], BacktestResult]


def load_compute(path: str | None) -> Compute:
    """The engine compute, or `module:function` (the test seam `BACKTEST_COMPUTE`)."""
    if not path:
        return engine_compute
    module, _, name = path.partition(":")
    fn: Compute = getattr(importlib.import_module(module), name)
    return fn


def check_data(request: BacktestRequest, data: Mapping[str, pd.DataFrame]) -> None:
    """Refuse data the engine cannot use honestly, with a message saying what to change."""
    spec, code = request.spec, request.code
    timeframe = spec.universe.timeframe if spec else code.timeframe if code else "1d"
    start = spec.period.start if spec else code.start if code else None
    end = spec.period.end if spec else code.end if code else None
    window = f"between {start or 'the first bar'} and {end or 'the last bar'}"
    need = spec.max_lookback() + 2 if spec else 2
    for symbol, df in data.items():
        if len(df) == 0:
            raise fail(
                422,
                "no-data",
                "No market data",
                f"market-data returned no {timeframe} bars for '{symbol}' {window}. Widen the period or check the symbol.",
                service="market-data",
            )
        dupes = int(df.index.duplicated().sum())
        if dupes:
            raise fail(
                422,
                "bad-data",
                "Unusable market data",
                f"the {timeframe} data for '{symbol}' has {dupes} duplicate timestamps; fix the data source (or your upload) first.",
            )
        closes = df["close"].to_numpy()
        if not np.isfinite(closes).any():
            raise fail(
                422,
                "no-data",
                "No market data",
                f"the {timeframe} data for '{symbol}' {window} has no valid close prices.",
            )
        if len(df) < need:
            raise fail(
                422,
                "insufficient-data",
                "Too few bars",
                f"'{symbol}' has only {len(df)} {timeframe} bars {window}, but the strategy's indicators need at least {need} "
                f"(longest look-back {need - 2} bars, plus two to trade). Widen the period or shorten the indicator windows.",
            )


def warmup_fetch_start(request: BacktestRequest) -> date | None:
    """First day to fetch for a spec run: enough history before ``period.start`` for every
    indicator, the ATR stop, the sizing look-back and every walk-forward parameter set."""
    from vt_engine.live import history_window, warmup_bars

    spec = request.spec
    if spec is None or spec.period.start is None:
        return spec.period.start if spec is not None else None
    return history_window(spec, spec.period.start, bars=warmup_bars(spec, request.walk_forward))


def trim_to_warmup(
    request: BacktestRequest, data: Mapping[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Keep exactly the warm-up bars the spec needs before ``period.start`` (the trading
    runner cuts at the same bar, so recursive indicators agree with the backtest)."""
    from vt_engine.live import trim_warmup, warmup_bars

    spec = request.spec
    if spec is None or spec.period.start is None:
        return dict(data)
    frames, _ = trim_warmup(
        data, spec, spec.period.start, required=warmup_bars(spec, request.walk_forward)
    )
    return frames


def _progress_adapter(progress: ProgressFn) -> Callable[..., None]:
    """The engine may report progress as `p`, `(p, message)` or `(done, total)`; accept all."""

    def report(*args: Any, **kwargs: Any) -> None:
        values = [a for a in (*args, *kwargs.values()) if isinstance(a, int | float)]
        if not values:
            return
        if len(values) >= 2 and values[1] > 1:
            frac = float(values[0]) / float(values[1])
        else:
            frac = float(values[0])
        progress(min(1.0, max(0.0, frac)))

    return report


def sandbox_problem(exc: Exception) -> JobFailed:
    """A sandbox rejection or runtime failure as a 422 naming the offending lines."""
    code = str(getattr(exc, "code", "sandbox_failure"))
    message = str(getattr(exc, "message", str(exc)))
    violations = list(getattr(exc, "violations", []) or [])
    errors = [
        FieldError(
            loc=["code", "code", f"line {getattr(v, 'line', 0)}"],
            msg=f"line {getattr(v, 'line', 0)}, col {getattr(v, 'col', 0)}: {getattr(v, 'message', v)}",
            type=str(getattr(v, "code", "policy_violation")),
        )
        for v in violations[:50]
    ]
    titles = {
        "policy_violation": "Strategy code rejected",
        "timeout": "Strategy code took too long",
        "cpu_limit": "Strategy code used too much CPU",
        "memory_limit": "Strategy code used too much memory",
        "runtime_error": "Strategy code raised an error",
        "bad_output": "Strategy code returned unusable signals",
        "output_too_large": "Strategy code printed too much",
        "look_ahead": "Strategy code looks ahead",
    }
    if code == "sandbox_failure":
        return fail(
            503,
            "sandbox-unavailable",
            "Sandbox unavailable",
            f"the sandbox could not run the strategy safely: {message}",
            service="sandbox",
        )
    return fail(
        422,
        f"sandbox-{code.replace('_', '-')}",
        titles.get(code, "Strategy code failed"),
        f"Your strategy code was refused ({code}): {message}"
        if code == "look_ahead"
        else f"Your strategy code did not run in the sandbox ({code}): {message}",
        errors=errors or None,
    )


SignalArrays = tuple[Any, Any, Any | None, Any | None]


def code_signals(
    source: str,
    runs: list[tuple[pd.DataFrame, dict[str, Any]]],
    *,
    cpu_seconds: float,
    wall_seconds: float,
    lookahead: bool = True,
    names: list[str] | None = None,
) -> list[SignalArrays]:
    """Signals of custom code for every (frame, params) pair -- symbols of one run, or the
    parameter sets of a sweep or walk-forward -- computed in ONE sandboxed child process,
    then (``lookahead``) all of them checked for look-ahead in ONE more
    (`vt_sandbox.probe_lookahead_batch`; ``names`` label the runs in its refusal).

    The budgets are per call (what one `run_strategy` would get), summed for the child (the
    probe scales them by its share of the work). Raises `SandboxError` (the caller turns it
    into a problem)."""
    from vt_sandbox import SandboxLimits, probe_lookahead_batch, run_strategy_batch

    calls = max(1, len(runs))
    limits = SandboxLimits(
        cpu_seconds=cpu_seconds * calls,
        wall_seconds=wall_seconds * calls,
        max_rows=SandboxLimits().max_rows * calls,
    )
    signals = run_strategy_batch(source, runs, limits)
    if lookahead:
        probe_lookahead_batch(source, runs, signals, limits, names=names)
    return [(s.entries, s.exits, s.short_entries, s.short_exits) for s in signals]


def engine_compute(job: ComputeJob) -> BacktestResult:
    """Run the job on vt_engine; custom code runs only through the sandbox (`code_signals`)."""
    import vt_engine
    from vt_engine.errors import EngineError
    from vt_sandbox import SandboxError

    request = job.request
    progress = _progress_adapter(job.progress)
    try:
        if request.spec is not None:
            # the engine reports the warm-up used in provenance and warns when it is short
            return vt_engine.run_backtest(
                request.spec,
                trim_to_warmup(request, job.data),
                benchmark=job.benchmark,
                gates=request.gates,
                gate_profile=request.gate_profile,
                walk_forward=request.walk_forward,
                progress=progress,
                data_sources=job.data_sources,
            )
        code = request.code
        assert code is not None

        def signals_for_all(frames: Mapping[str, pd.DataFrame]) -> dict[str, SignalArrays]:
            # every symbol in one sandboxed child, then all of them probed for look-ahead in
            # one more
            symbols = list(frames)
            runs = code_signals(
                code.code,
                [(frames[s], dict(code.params)) for s in symbols],
                cpu_seconds=job.sandbox_cpu_seconds,
                wall_seconds=job.sandbox_wall_seconds,
                names=symbols,
            )
            return dict(zip(symbols, runs, strict=True))

        return vt_engine.run_code_backtest(
            code,
            job.data,
            None,
            signals_for_all=signals_for_all,
            market=job.market,
            benchmark=job.benchmark,
            gates=request.gates,
            gate_profile=request.gate_profile,
            progress=progress,
            data_sources=job.data_sources,
        )
    except SandboxError as exc:
        raise sandbox_problem(exc) from None
    except EngineError as exc:
        raise fail(
            422,
            f"backtest-{str(exc.code).replace('_', '-')}",
            "Backtest could not run",
            str(exc.message),
        ) from None


__all__ = [
    "Compute",
    "ComputeJob",
    "JobFailed",
    "check_data",
    "code_signals",
    "engine_compute",
    "load_compute",
]


def warm_service_paths() -> None:
    """Exercise, once, what a worker's first job touches beyond `vt_engine.warmup()`: a plain
    spec run, the custom-code path (with an in-process signal function, no user code), result
    serialisation and frame parsing -- so the first real job is as fast as the next."""
    import vt_engine
    from vt_backtest.worker.marketdata import frame_to_dataframe
    from vt_contracts import CodeStrategy, OHLCVFrame, StrategySpec
    from vt_contracts.ohlcv import DataQualityReport

    n = 160
    idx = pd.date_range("2020-01-01", periods=n, freq="D", tz="UTC")
    close = 100.0 * np.exp(np.cumsum(np.sin(np.arange(n) / 7.0) * 0.01))
    frame = OHLCVFrame(
        symbol="WARM",
        timeframe="1d",
        provider="demo",
        timestamps=list(idx.to_pydatetime()),
        open=close.tolist(),
        high=(close * 1.01).tolist(),
        low=(close * 0.99).tolist(),
        close=close.tolist(),
        volume=[1000.0] * n,
        quality=DataQualityReport(bars=n),
    )
    df = frame_to_dataframe(OHLCVFrame.model_validate_json(frame.model_dump_json()))
    cross = {"left": {"kind": "indicator", "id": "f"}, "right": {"kind": "indicator", "id": "s"}}
    spec = StrategySpec.model_validate(
        {
            "name": "warm",
            "universe": {"symbols": ["WARM"]},
            "indicators": [
                {"kind": "sma", "id": "f", "window": 5},
                {"kind": "sma", "id": "s", "window": 20},
            ],
            "entry": {"kind": "crosses_above", **cross},
            "exit": {"kind": "crosses_below", **cross},
        }
    )
    result = vt_engine.run_backtest(spec, {"WARM": df}, benchmark=df)
    result.model_dump(mode="json")
    code = CodeStrategy(code="pass", symbols=["WARM"])
    entries = np.zeros(n, dtype=bool)
    entries[10::40] = True
    exits = np.roll(entries, 15)
    vt_engine.run_code_backtest(code, {"WARM": df}, lambda _s, _f: (entries, exits, None, None))
