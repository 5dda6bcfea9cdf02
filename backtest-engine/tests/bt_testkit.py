"""Helpers shared by the backtest-engine tests (imported as a plain module)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse

from vt_contracts import BacktestResult, OHLCVFrame, Provenance, Series, SummaryStats
from vt_contracts.ohlcv import DataQualityReport

TOKEN = "dev-internal-token-change-me"


# --------------------------------------------------------------------------------------------
# A market-data stand-in speaking the real wire format (OHLCVFrame JSON, problem+json errors)
# --------------------------------------------------------------------------------------------


def synthetic_frame(symbol: str, start: date, end: date) -> pd.DataFrame:
    """Deterministic business-day OHLCV (seeded by the symbol), trending with noise."""
    idx = pd.bdate_range(start, end, tz="UTC")
    seed = int(hashlib.sha256(symbol.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0004, 0.012, len(idx)) + 0.004 * np.sin(np.arange(len(idx)) / 40)
    close = 100 * np.exp(np.cumsum(steps))
    opn = np.concatenate([[close[0]], close[:-1]]) * (1 + rng.normal(0, 0.002, len(idx)))
    high = np.maximum(opn, close) * (1 + np.abs(rng.normal(0, 0.004, len(idx))))
    low = np.minimum(opn, close) * (1 - np.abs(rng.normal(0, 0.004, len(idx))))
    vol = rng.integers(1_000_000, 5_000_000, len(idx)).astype(float)
    return pd.DataFrame(
        {"open": opn, "high": high, "low": low, "close": close, "volume": vol}, index=idx
    )


def frame_json(symbol: str, df: pd.DataFrame) -> dict[str, Any]:
    frame = OHLCVFrame(
        symbol=symbol,
        timeframe="1d",
        market="us_equity",
        provider="demo",
        timestamps=[t.to_pydatetime() for t in df.index],
        open=df["open"].tolist(),
        high=df["high"].tolist(),
        low=df["low"].tolist(),
        close=df["close"].tolist(),
        volume=df["volume"].tolist(),
        quality=DataQualityReport(bars=len(df)),
        label="test stand-in for market-data",
    )
    return frame.model_dump(mode="json")


def market_data_stub() -> FastAPI:
    """DEMO:* and SAMPLE:* -> synthetic daily bars 2005-2019; NOPE* -> 404; DOWN* -> 503;
    EMPTY* -> a frame without bars; NEG* -> one bar with negative prices; SLOW* -> answers
    after 3 s."""
    app = FastAPI()
    app.state.calls = []
    app.state.adjust = []  # (symbol, adjust) of every request

    @app.get("/ohlcv")
    async def ohlcv(
        symbol: str,
        timeframe: str = "1d",
        start: date | None = None,
        end: date | None = None,
        adjust: bool = True,
        x_internal_token: str | None = Header(default=None),
        x_user_id: str | None = Header(default=None),
    ) -> JSONResponse:
        app.state.calls.append((symbol, x_user_id))
        app.state.adjust.append((symbol, adjust))
        if x_internal_token != TOKEN:
            return _problem(401, "missing token")
        if symbol.startswith("NOPE"):
            return _problem(404, f"unknown symbol '{symbol}'")
        if symbol.startswith("DOWN"):
            return _problem(503, "provider yfinance is unavailable", service="yfinance")
        if symbol.startswith("SLOW"):
            await asyncio.sleep(3)
        lo = max(start or date(2005, 1, 1), date(2005, 1, 1))
        hi = min(end or date(2019, 12, 31), date(2019, 12, 31))
        df = synthetic_frame(symbol, date(2005, 1, 1), date(2019, 12, 31))
        df = df[(df.index >= pd.Timestamp(lo, tz="UTC")) & (df.index <= pd.Timestamp(hi, tz="UTC"))]
        if symbol.startswith("EMPTY"):
            df = df.iloc[:0]
        if symbol.startswith("NEG"):
            df = df.copy()
            df.iloc[len(df) // 2, :4] = -1.0
        return JSONResponse(frame_json(symbol, df))

    return app


def _problem(status: int, detail: str, service: str | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": "error", "status": status, "detail": detail}
    if service:
        body["service"] = service
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("stub server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# --------------------------------------------------------------------------------------------
# Specs, users, results
# --------------------------------------------------------------------------------------------


def sma_spec(
    symbol: str = "DEMO:TREND", fast: int = 20, slow: int = 50, **extra: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": f"{symbol} {fast}/{slow} SMA crossover",
        "universe": {"symbols": [symbol]},
        "period": {"start": "2010-01-01", "end": "2019-12-31"},
        "indicators": [
            {"id": "fast", "kind": "sma", "window": fast},
            {"id": "slow", "kind": "sma", "window": slow},
        ],
        "entry": {
            "kind": "crosses_above",
            "left": {"kind": "indicator", "id": "fast"},
            "right": {"kind": "indicator", "id": "slow"},
        },
        "exit": {
            "kind": "crosses_below",
            "left": {"kind": "indicator", "id": "fast"},
            "right": {"kind": "indicator", "id": "slow"},
        },
    }
    spec.update(extra)
    return spec


def insert_user(database_url: str, email: str | None = None) -> str:
    user_id = str(uuid.uuid4())
    with psycopg.connect(database_url.replace("+asyncpg", ""), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (%s, %s, 'x')",
            (user_id, email or f"{user_id}@example.test"),
        )
    return user_id


def db_row(database_url: str, sql: str, *params: Any) -> Any:
    with psycopg.connect(database_url.replace("+asyncpg", ""), autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()


def fake_result(tag: str = "fake") -> BacktestResult:
    """A small, valid BacktestResult for queue tests that do not need the engine."""
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    stamps = [t0 + timedelta(days=i) for i in range(3)]
    h = hashlib.sha256(tag.encode()).hexdigest()
    return BacktestResult(
        summary_stats=SummaryStats(
            start=stamps[0],
            end=stamps[-1],
            bars=3,
            initial_capital=100.0,
            final_equity=110.0,
            total_return_pct=10.0,
            cagr_pct=None,
            volatility_annual_pct=None,
            sharpe_ratio=1.2,
            sortino_ratio=None,
            max_drawdown_pct=1.0,
            longest_drawdown_bars=1,
            calmar_ratio=None,
            win_rate_pct=None,
            profit_factor=None,
            expectancy=None,
            avg_win_pct=None,
            avg_loss_pct=None,
            reward_risk_ratio=None,
            exposure_pct=50.0,
            trade_count=0,
            trade_p_value=None,
            total_fees=0.0,
            benchmark_return_pct=None,
            alpha_annual_pct=None,
            beta=None,
            periods_per_year=252.0,
        ),
        equity_curve=Series(timestamps=stamps, values=[100.0, 105.0, 110.0]),
        drawdown_curve=Series(timestamps=stamps, values=[0.0, 0.0, 0.0]),
        returns=Series(timestamps=stamps, values=[0.0, 0.05, 0.0476]),
        trades=[],
        provenance=Provenance(
            spec_hash=h,
            data_hash=h[::-1],
            engine_version="test",
            run_hash=h,
            conventions={"fill": "test"},
        ),
    )


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], within: float = 60.0, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
