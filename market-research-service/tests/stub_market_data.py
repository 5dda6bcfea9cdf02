"""A local stand-in for market-data-service speaking the real `OHLCVFrame` JSON contract,
plus static RSS files, served over real HTTP by uvicorn in a thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse, Response

from vt_contracts import DataQualityReport, OHLCVFrame

DATA = Path(__file__).parent / "data"
TOKEN = "test-internal-token"


def _frame(
    symbol: str, close: np.ndarray, index: pd.DatetimeIndex, spread: float = 0.01
) -> pd.DataFrame:
    prev = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(close, prev) * (1 + spread)
    low = np.minimum(close, prev) * (1 - spread)
    return pd.DataFrame(
        {"open": prev, "high": high, "low": low, "close": close, "volume": 1e6},
        index=index,
    )


def build_series() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    sample_idx = pd.bdate_range("2000-01-03", "2013-12-31", tz="UTC")
    series: dict[str, pd.DataFrame] = {}
    common = rng.normal(0, 0.008, len(sample_idx))  # one market factor shared by the samples
    for i, (sym, drift) in enumerate(
        [
            ("SAMPLE:AAPL", 0.0009),
            ("SAMPLE:MSFT", 0.0002),
            ("SAMPLE:IBM", 0.0003),
            ("SAMPLE:GOOG", 0.0006),
        ]
    ):
        own = np.random.default_rng(100 + i).normal(drift, 0.012, len(sample_idx))
        close = 50 * np.exp(np.cumsum(common + own))
        series[sym] = _frame(sym, close, sample_idx)
    end = pd.Timestamp(datetime.now(UTC).date() - timedelta(days=1), tz="UTC")
    recent = pd.bdate_range(end=end, periods=700, tz="UTC")
    n = len(recent)
    steps = np.random.default_rng(5).normal(0.002, 0.004, n)
    series["DEMO:TREND"] = _frame("DEMO:TREND", 100 * np.exp(np.cumsum(steps)), recent, 0.002)
    t = np.arange(n)
    series["DEMO:RANGE"] = _frame("DEMO:RANGE", 100 + 5 * np.sin(t / 6.0), recent)
    calm = np.random.default_rng(3).normal(0.0004, 0.005, n - 30)
    crash = np.random.default_rng(4).normal(-0.015, 0.05, 30)
    series["DEMO:CRASH"] = _frame(
        "DEMO:CRASH", 100 * np.exp(np.cumsum(np.concatenate([calm, crash]))), recent
    )
    series["^VIX"] = _frame("^VIX", np.full(n, 18.0), recent)
    return series


def create_stub(series: dict[str, pd.DataFrame], state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/ohlcv")
    async def ohlcv(
        symbol: str,
        timeframe: str = "1d",
        start: Annotated[date | None, Query()] = None,
        end: Annotated[date | None, Query()] = None,
        x_internal_token: Annotated[str | None, Header()] = None,
    ) -> Response:
        state.setdefault("calls", []).append(symbol)
        if x_internal_token != TOKEN:
            return JSONResponse(
                {"title": "Authentication required", "status": 401}, status_code=401
            )
        if state.get("fail"):
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Upstream failure",
                    "status": 502,
                    "detail": "yfinance down",
                },
                status_code=502,
                media_type="application/problem+json",
            )
        if state.get("delay"):
            await asyncio.sleep(state["delay"])
        if timeframe != "1d":
            return JSONResponse(
                {"title": "Invalid input", "status": 422, "detail": "bad timeframe"},
                status_code=422,
            )
        df = series.get(symbol)
        if df is None:
            return JSONResponse(
                {
                    "type": "https://vibetrading.dev/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": f"Unknown symbol '{symbol}'.",
                },
                status_code=404,
                media_type="application/problem+json",
            )
        if start is not None:
            df = df[df.index >= pd.Timestamp(start, tz="UTC")]
        if end is not None:
            df = df[df.index <= pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)]
        frame = OHLCVFrame(
            symbol=symbol,
            timeframe="1d",
            provider="sample" if symbol.startswith("SAMPLE:") else "demo",
            timestamps=[ts.to_pydatetime() for ts in df.index],
            open=df["open"].tolist(),
            high=df["high"].tolist(),
            low=df["low"].tolist(),
            close=df["close"].tolist(),
            volume=df["volume"].tolist(),
            quality=DataQualityReport(bars=len(df)),
            label="test stub",
        )
        return Response(frame.model_dump_json(), media_type="application/json")

    @app.get("/rss/{name}")
    async def rss(name: str) -> Response:
        state.setdefault("rss_calls", []).append(name)
        if name == "broken.xml":
            return Response("oops", status_code=500)
        path = DATA / name
        if not path.is_file():
            return Response("missing", status_code=404)
        return Response(path.read_bytes(), media_type="application/rss+xml")

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StubServer:
    """Runs an ASGI app with uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StubServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("stub server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
