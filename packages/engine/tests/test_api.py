"""Public API surface: light imports, code strategies, provenance, benchmark, warm-up."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from engine_helpers import ohlcv, sma_cross_spec

import vt_engine
from vt_contracts.backtest import BacktestResult, CodeStrategy
from vt_engine import ENGINE_VERSION, EngineError, hash_frames, run_backtest, run_code_backtest
from vt_engine import indicators as ind

DF = ohlcv(400, seed=8)


def test_import_is_light() -> None:
    code = (
        "import sys, vt_engine, vt_engine.indicators;"
        "heavy = [m for m in ('numba', 'vectorbt', 'scipy', 'exchange_calendars', 'pydantic') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names() -> None:
    for name in (
        "indicators",
        "compile_spec",
        "run_backtest",
        "run_code_backtest",
        "ENGINE_VERSION",
        "hash_frames",
        "warmup",
        "Signals",
    ):
        assert hasattr(vt_engine, name)
    assert ENGINE_VERSION.startswith("vt-engine ")
    assert "vectorbt 1.2.0" in ENGINE_VERSION


def test_result_contract_and_provenance() -> None:
    spec = sma_cross_spec(10, 30)
    res = run_backtest(spec, {"AAA": DF}, data_sources={"AAA": "sample"})
    again = BacktestResult.model_validate_json(res.model_dump_json())
    assert again.summary_stats == res.summary_stats
    pv = res.provenance
    assert pv.spec_hash == spec.spec_hash()
    assert pv.data_hash == hash_frames({"AAA": DF})
    assert (
        pv.run_hash
        == hashlib.sha256((pv.spec_hash + pv.data_hash + ENGINE_VERSION).encode()).hexdigest()
    )
    assert {"fill_price", "sizing", "commission", "annualisation"} <= set(pv.conventions)
    assert pv.data_sources == {"AAA": "sample"}
    assert all(v <= 0 for v in res.drawdown_curve.values if v is not None)
    assert len(res.equity_curve.values) == len(res.returns.values) == len(DF)
    assert res.benchmark_curve is not None
    # buy-and-hold of the universe by default
    assert res.summary_stats.benchmark_return_pct == pytest.approx(
        (DF["close"].iloc[-1] / DF["close"].iloc[0] - 1) * 100
    )
    assert run_backtest(spec, {"AAA": DF}).provenance.run_hash == pv.run_hash
    assert run_backtest(spec, {"AAA": DF}, data_hash="x").provenance.data_hash == "x"


def test_benchmark_symbol_and_frame() -> None:
    bench = ohlcv(400, seed=55)
    spec = sma_cross_spec(10, 30, benchmark={"symbol": "SPY"})
    res = run_backtest(spec, {"AAA": DF}, benchmark=bench)
    assert res.summary_stats.benchmark_return_pct == pytest.approx(
        (bench["close"].iloc[-1] / bench["close"].iloc[0] - 1) * 100
    )
    assert res.summary_stats.beta is not None
    res2 = run_backtest(spec, {"AAA": DF, "SPY": bench})
    assert res2.summary_stats.benchmark_return_pct == res.summary_stats.benchmark_return_pct


def test_hash_frames_sensitive() -> None:
    a = hash_frames({"AAA": DF})
    b = DF.copy()
    b.iloc[5, 3] += 0.01
    assert hash_frames({"AAA": b}) != a
    assert hash_frames({"AAA": DF.copy()}) == a


def _sma_signal_fn(fast: int, slow: int):  # type: ignore[no-untyped-def]
    def fn(symbol: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, None, None]:
        f, s = ind.sma(frame["close"], fast), ind.sma(frame["close"], slow)
        return ind.crosses_above(f, s).to_numpy(), ind.crosses_below(f, s).to_numpy(), None, None

    return fn


def test_code_backtest_equals_spec_backtest() -> None:
    code = CodeStrategy(
        code="def generate_signals(data, params): ...",
        symbols=["AAA"],
        commission=0.001,
        slippage=0.0005,
    )
    res = run_code_backtest(code, {"AAA": DF}, _sma_signal_fn(10, 30))
    ref = run_backtest(
        sma_cross_spec(10, 30, costs={"commission_pct": 0.1, "slippage_pct": 0.05}), {"AAA": DF}
    )
    assert res.summary_stats.final_equity == pytest.approx(
        ref.summary_stats.final_equity, rel=1e-12
    )
    assert [t.entry_time for t in res.trades] == [t.entry_time for t in ref.trades]
    settings = code.model_dump(mode="json") | {"market": "us_equity"}
    assert (
        res.provenance.spec_hash
        == hashlib.sha256(
            json.dumps(settings, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
    )
    crypto = run_code_backtest(code, {"AAA": DF}, _sma_signal_fn(10, 30), market="crypto")
    assert crypto.summary_stats.periods_per_year == 365
    assert any(not float(t.size).is_integer() for t in crypto.trades)


def test_code_backtest_bad_signals() -> None:
    code = CodeStrategy(code="x", symbols=["AAA"])

    def short(symbol: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, None, None]:
        return np.zeros(3, bool), np.zeros(3, bool), None, None

    def junk(symbol: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, None, None]:
        return np.full(len(frame), 2.5), np.zeros(len(frame), bool), None, None

    for fn in (short, junk):
        with pytest.raises(EngineError) as err:
            run_code_backtest(code, {"AAA": DF}, fn)
        assert err.value.code == "bad_signals"
    with pytest.raises(EngineError) as err:
        run_code_backtest(code, {"BBB": DF}, short)
    assert err.value.code == "missing_symbol"


def test_code_backtest_shorts_and_period() -> None:
    code = CodeStrategy(
        code="x",
        symbols=["AAA"],
        start=DF.index[100].date(),
        end=DF.index[300].date(),
        fill="close",
    )

    def fn(
        symbol: str, frame: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        f, s = ind.sma(frame["close"], 5), ind.sma(frame["close"], 20)
        up, dn = ind.crosses_above(f, s).to_numpy(), ind.crosses_below(f, s).to_numpy()
        return up, dn, dn, up

    res = run_code_backtest(code, {"AAA": DF}, fn)
    assert res.summary_stats.bars == 201
    assert {t.direction for t in res.trades} == {"long", "short"}
    assert "RESEARCH SHORTCUT" in res.provenance.conventions["fill_price"]


def test_warmup_runs() -> None:
    seconds = vt_engine.warmup()
    assert seconds >= 0
