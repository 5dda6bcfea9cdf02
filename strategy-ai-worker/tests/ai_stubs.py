"""Local stub servers speaking the Anthropic, OpenAI and market-data wire formats."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

TOKEN = "test-internal-token"


def settings_for(market_url: str, **overrides: Any) -> Any:
    """Worker settings pointing at the stub market-data/research server."""
    from vt_strategy_ai.settings import Settings

    values: dict[str, Any] = {
        "INTERNAL_TOKEN": TOKEN,
        "MARKET_DATA_URL": market_url,
        "MARKET_RESEARCH_URL": market_url,
        "LLM_PROVIDER": "offline",
    }
    values.update(overrides)
    return Settings(**values)


def headers(user: Any) -> dict[str, str]:
    return {"X-Internal-Token": TOKEN, "X-User-Id": str(user)}


class StubServer:
    """Runs an ASGI app with uvicorn on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("stub server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def chunks(text: str, size: int = 17) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


@dataclass
class Script:
    """What the stub LLM answers, call by call (the last answer repeats), and what it received."""

    answers: list[dict[str, Any]]
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def next(self) -> dict[str, Any]:
        i = min(len(self.received) - 1, len(self.answers) - 1)
        return self.answers[i]


def anthropic_app(script: Script) -> Starlette:
    async def messages(request: Request) -> Response:
        body = await request.json()
        script.received.append(body)
        script.headers.append(dict(request.headers))
        envelope = script.next()
        payload = json.dumps(envelope)
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "msg_stub",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_stub",
                            "name": "submit_strategy",
                            "input": envelope,
                        }
                    ],
                    "stop_reason": "tool_use",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 120, "output_tokens": 80},
                }
            )

        def sse(event: str, data: dict[str, Any]) -> str:
            return f"event: {event}\ndata: {json.dumps(data)}\n\n"

        def gen() -> Iterator[str]:
            yield sse(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_stub",
                        "type": "message",
                        "role": "assistant",
                        "model": body["model"],
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 120, "output_tokens": 1},
                    },
                },
            )
            yield sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {
                        "type": "tool_use",
                        "id": f"toolu_{len(script.received)}",
                        "name": "submit_strategy",
                        "input": {},
                    },
                },
            )
            yield sse("ping", {"type": "ping"})
            for piece in chunks(payload):
                yield sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    },
                )
            yield sse("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                    "usage": {"output_tokens": 80},
                },
            )
            yield sse("message_stop", {"type": "message_stop"})

        return StreamingResponse(gen(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


def openai_app(script: Script) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        script.received.append(body)
        script.headers.append(dict(request.headers))
        payload = json.dumps(script.next())
        tools = "tools" in body
        base = {
            "id": "chatcmpl-stub",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": body["model"],
        }

        def gen() -> Iterator[str]:
            first: dict[str, Any] = {"role": "assistant", "content": None if tools else ""}
            yield (
                "data: "
                + json.dumps(
                    {**base, "choices": [{"index": 0, "delta": first, "finish_reason": None}]}
                )
                + "\n\n"
            )
            for i, piece in enumerate(chunks(payload)):
                if tools:
                    call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
                    if i == 0:
                        call.update(
                            {
                                "id": "call_stub",
                                "type": "function",
                                "function": {"name": "submit_strategy", "arguments": piece},
                            }
                        )
                    delta: dict[str, Any] = {"tool_calls": [call]}
                else:
                    delta = {"content": piece}
                yield (
                    "data: "
                    + json.dumps(
                        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    )
                    + "\n\n"
                )
            yield (
                "data: "
                + json.dumps(
                    {
                        **base,
                        "choices": [
                            {
                                "index": 0,
                                "delta": {},
                                "finish_reason": "tool_calls" if tools else "stop",
                            }
                        ],
                    }
                )
                + "\n\n"
            )
            yield (
                "data: "
                + json.dumps(
                    {
                        **base,
                        "choices": [],
                        "usage": {
                            "prompt_tokens": 150,
                            "completion_tokens": 90,
                            "total_tokens": 240,
                        },
                    }
                )
                + "\n\n"
            )
            yield "data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def make_ohlcv(
    n: int = 800, seed: int = 7, start: str = "2015-01-02", freq: str = "B"
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq=freq, tz="UTC")
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, n)))
    open_ = close * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    volume = rng.integers(1_000, 10_000, n).astype(float)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=idx
    )


# symbols whose provider the market-data stub reports as unreachable (503)
UNAVAILABLE = frozenset({"NVDA"})


def market_app(frames: dict[str, pd.DataFrame], received: list[dict[str, str]]) -> Starlette:
    async def ohlcv(request: Request) -> Response:
        params = dict(request.query_params)
        params["token"] = request.headers.get("x-internal-token", "")
        received.append(params)
        symbol = params["symbol"]
        if symbol in UNAVAILABLE:
            return JSONResponse(
                {
                    "title": "Unavailable",
                    "status": 503,
                    "detail": f"provider unreachable for {symbol}",
                },
                status_code=503,
                media_type="application/problem+json",
            )
        if symbol not in frames:
            return JSONResponse(
                {"title": "Not found", "status": 404, "detail": f"unknown symbol {symbol}"},
                status_code=404,
                media_type="application/problem+json",
            )
        df = frames[symbol]
        return JSONResponse(
            {
                "symbol": symbol,
                "timeframe": params.get("timeframe", "1d"),
                "market": "us_equity",
                "provider": "sample",
                "timestamps": [t.isoformat() for t in df.index],
                "open": df["open"].tolist(),
                "high": df["high"].tolist(),
                "low": df["low"].tolist(),
                "close": df["close"].tolist(),
                "volume": df["volume"].tolist(),
                "quality": {"bars": len(df), "issues": []},
            }
        )

    async def insight(request: Request) -> Response:
        return JSONResponse(
            {
                "symbol": request.query_params["symbol"],
                "as_of": "2026-11-20T00:00:00Z",
                "trend_state": "uptrend",
                "volatility_regime": "normal",
                "recommended_strategy_types": ["trend_following"],
            }
        )

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "").upper()
        found = [s for s in frames if q and (q in s.upper() or s.upper() in q)]
        echo = [q] if q and q not in found else []
        return JSONResponse(
            [
                {"symbol": s, "name": s, "market": "us_equity", "provider": "sample"}
                for s in [*found, *echo]
            ]
        )

    return Starlette(
        routes=[
            Route("/ohlcv", ohlcv),
            Route("/insight", insight),
            Route("/symbols/search", search),
        ]
    )
