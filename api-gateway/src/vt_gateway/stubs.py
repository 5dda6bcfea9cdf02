"""Small stand-ins for the internal services, speaking the documented internal API
(docs/internal-api.md): used by the gateway's and the client's tests while the real services are
being built, by the benchmark, and for offline demos. They keep state in memory, enforce the
internal token and scope everything to `X-User-Id` exactly like the real services must.

Not for production: nothing here is persistent or sandboxed.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, File, Form, Header, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from redis.asyncio import Redis

from vt_contracts import (
    BacktestResult,
    BacktestRun,
    Insight,
    OHLCVFrame,
    Problem,
    Provenance,
    Series,
    StrategySpec,
    SummaryStats,
)
from vt_contracts.examples import sma_crossover_spec

SMA_CROSS: dict[str, Any] = sma_crossover_spec()


def _problem(status: int, title: str, detail: str, slug: str) -> JSONResponse:
    body = Problem(
        type=f"https://vibetrading.dev/problems/{slug}", title=title, status=status, detail=detail
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type="application/problem+json",
    )


def _not_found(what: str) -> JSONResponse:
    return _problem(404, "Not found", f"There is no {what} with this id.", "not-found")


def _guard(token: str) -> Callable[..., str | None]:
    def check(
        x_internal_token: Annotated[str | None, Header()] = None,
        x_user_id: Annotated[str | None, Header()] = None,
    ) -> str | None:
        if not x_internal_token or not hmac.compare_digest(x_internal_token, token):
            raise _Refused
        return x_user_id

    return check


class _Refused(Exception):
    pass


def _base_app(title: str) -> FastAPI:
    app = FastAPI(title=title)

    @app.exception_handler(_Refused)
    async def _refused(_request: Request, _exc: _Refused) -> JSONResponse:
        return _problem(401, "Authentication required", "internal token required", "unauthorized")

    return app


def _page(items: Sequence[dict[str, Any]], limit: int, cursor: str | None) -> dict[str, Any]:
    start = int(cursor) if cursor and cursor.isdigit() else 0
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    return {"items": chunk, "next_cursor": str(start + limit) if more else None}


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --------------------------------------------------------------------------------------------
# strategy-ai-worker
# --------------------------------------------------------------------------------------------


def strategy_ai_app(internal_token: str) -> FastAPI:
    """POST /chat (JSON or SSE), strategies with versions, conversations."""
    app = _base_app("strategy-ai-worker stub")
    auth = Depends(_guard(internal_token))
    strategies: dict[str, dict[str, Any]] = {}
    conversations: dict[str, dict[str, Any]] = {}

    def owned(
        store: dict[str, dict[str, Any]], key: str, user: str | None
    ) -> dict[str, Any] | None:
        found = store.get(key)
        if found is None or found["user_id"] != user or found.get("deleted"):
            return None
        return found

    def public(strategy: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in strategy.items() if k not in ("user_id", "versions", "deleted")}

    def turn(user: str, message: str, conversation_id: str | None) -> dict[str, Any] | JSONResponse:
        if conversation_id is not None:
            conversation = owned(conversations, conversation_id, user)
            if conversation is None:
                return _not_found("conversation")
        else:
            conversation = {
                "id": str(uuid.uuid4()),
                "user_id": user,
                "strategy_id": None,
                "messages": [],
            }
            conversations[conversation["id"]] = conversation
        conversation["messages"].append({"role": "user", "content": message})
        if "?" in message or len(message.split()) < 3:
            reply: dict[str, Any] = {
                "conversation_id": conversation["id"],
                "reply": "Which symbol and which rule for entering and exiting?",
                "strategy_id": None,
                "version": None,
                "spec": None,
                "code": None,
                "explanation": None,
                "warnings": [],
                "clarification": "Which symbol and which rule for entering and exiting?",
                "diff": None,
                "safety_report": None,
            }
        else:
            spec = StrategySpec.model_validate(SMA_CROSS).model_dump(mode="json")
            strategy_id = conversation["strategy_id"]
            if strategy_id is None:
                strategy_id = str(uuid.uuid4())
                strategies[strategy_id] = {
                    "id": strategy_id,
                    "user_id": user,
                    "name": spec["name"],
                    "description": message[:200],
                    "current_version": 0,
                    "spec": spec,
                    "created_at": _now(),
                    "updated_at": _now(),
                    "versions": [],
                }
                conversation["strategy_id"] = strategy_id
            strategy = strategies[strategy_id]
            strategy["current_version"] += 1
            strategy["versions"].append(
                {
                    "version": strategy["current_version"],
                    "spec": spec,
                    "code": "# generated",
                    "created_at": _now(),
                }
            )
            reply = {
                "conversation_id": conversation["id"],
                "reply": f"Here is a 20/50 SMA crossover on SPY: {message[:60]}",
                "strategy_id": strategy_id,
                "version": strategy["current_version"],
                "spec": spec,
                "code": "def generate_signals(data, params): ...",
                "explanation": {
                    "summary": "Buys when the fast average crosses above the slow one."
                },
                "warnings": ["Daily bars only."],
                "clarification": None,
                "diff": None,
                "safety_report": {"ok": True},
            }
        conversation["messages"].append({"role": "assistant", "content": reply["reply"]})
        return reply

    @app.post("/chat")
    async def chat(request: Request, user: str | None = auth) -> Response:
        body = await request.json()
        if user is None:
            return _problem(400, "Bad request", "X-User-Id required", "bad-request")
        result = turn(user, str(body.get("message", "")), body.get("conversation_id"))
        if isinstance(result, JSONResponse):
            return result
        if "text/event-stream" not in request.headers.get("accept", ""):
            return JSONResponse(result)

        async def events() -> Any:
            for word in str(result["reply"]).split(" "):
                yield b"event: token\ndata: " + orjson.dumps({"text": word + " "}) + b"\n\n"
            yield b"event: result\ndata: " + orjson.dumps(result) + b"\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/strategies")
    async def list_strategies(
        limit: int = 20, cursor: str | None = None, sort: str | None = None, user: str | None = auth
    ) -> dict[str, Any]:
        mine = [
            public(s) for s in strategies.values() if s["user_id"] == user and not s.get("deleted")
        ]
        mine.sort(key=lambda s: s["created_at"], reverse=sort != "created_at")
        return _page(mine, limit, cursor)

    @app.get("/strategies/{strategy_id}")
    async def get_strategy(strategy_id: str, user: str | None = auth) -> Response:
        found = owned(strategies, strategy_id, user)
        return JSONResponse(public(found)) if found else _not_found("strategy")

    @app.put("/strategies/{strategy_id}")
    async def put_strategy(strategy_id: str, request: Request, user: str | None = auth) -> Response:
        found = owned(strategies, strategy_id, user)
        if found is None:
            return _not_found("strategy")
        body = await request.json()
        spec = StrategySpec.model_validate(body["spec"]).model_dump(mode="json")
        found["current_version"] += 1
        found["spec"] = spec
        found["name"] = body.get("name") or found["name"]
        found["updated_at"] = _now()
        found["versions"].append(
            {
                "version": found["current_version"],
                "spec": spec,
                "code": "# edited",
                "created_at": _now(),
            }
        )
        return JSONResponse(public(found))

    @app.delete("/strategies/{strategy_id}")
    async def delete_strategy(strategy_id: str, user: str | None = auth) -> Response:
        found = owned(strategies, strategy_id, user)
        if found is None:
            return _not_found("strategy")
        found["deleted"] = True
        return Response(status_code=204)

    @app.get("/strategies/{strategy_id}/versions")
    async def versions(
        strategy_id: str, limit: int = 20, cursor: str | None = None, user: str | None = auth
    ) -> Response:
        found = owned(strategies, strategy_id, user)
        if found is None:
            return _not_found("strategy")
        return JSONResponse(_page(found["versions"], limit, cursor))

    @app.get("/strategies/{strategy_id}/versions/{version}")
    async def version(strategy_id: str, version: int, user: str | None = auth) -> Response:
        found = owned(strategies, strategy_id, user)
        if found is None or not 1 <= version <= len(found["versions"]):
            return _not_found("strategy version")
        return JSONResponse(found["versions"][version - 1])

    @app.get("/conversations/{conversation_id}")
    async def conversation(conversation_id: str, user: str | None = auth) -> Response:
        found = owned(conversations, conversation_id, user)
        if found is None:
            return _not_found("conversation")
        return JSONResponse({k: v for k, v in found.items() if k != "user_id"})

    return app


# --------------------------------------------------------------------------------------------
# backtest-engine
# --------------------------------------------------------------------------------------------


def sample_result(initial_capital: float = 10_000.0) -> BacktestResult:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    stamps = [start + timedelta(days=i) for i in range(5)]
    equity = [initial_capital * (1 + 0.01 * i) for i in range(5)]
    final = equity[-1]
    stats = SummaryStats(
        start=stamps[0],
        end=stamps[-1],
        bars=5,
        initial_capital=initial_capital,
        final_equity=final,
        total_return_pct=(final / initial_capital - 1) * 100,
        cagr_pct=None,
        volatility_annual_pct=None,
        sharpe_ratio=1.25,
        sortino_ratio=None,
        max_drawdown_pct=0.0,
        longest_drawdown_bars=0,
        calmar_ratio=None,
        win_rate_pct=100.0,
        profit_factor=None,
        expectancy=final - initial_capital,
        avg_win_pct=4.0,
        avg_loss_pct=None,
        reward_risk_ratio=None,
        exposure_pct=80.0,
        trade_count=1,
        trade_p_value=None,
        total_fees=2.0,
        benchmark_return_pct=None,
        alpha_annual_pct=None,
        beta=None,
        periods_per_year=252,
    )
    series = Series(timestamps=stamps, values=equity)
    return BacktestResult(
        summary_stats=stats,
        equity_curve=series,
        drawdown_curve=Series(timestamps=stamps, values=[0.0] * 5),
        returns=Series(timestamps=stamps, values=[0.0, 0.01, 0.0099, 0.0098, 0.0097]),
        trades=[],
        provenance=Provenance(
            spec_hash="0" * 64,
            data_hash="1" * 64,
            engine_version="stub",
            run_hash="2" * 64,
            conventions={"fill": "next_open"},
        ),
    )


def backtest_app(
    internal_token: str, redis_url: str | None = None, step_seconds: float = 0.05
) -> FastAPI:
    """POST /runs (202 {id}), GET /runs/{id}, GET /runs; runs finish after two steps and publish
    progress on `vt:bt:events:{run_id}` and `vt:bt:user:{user_id}` when `redis_url` is given.
    Code containing `raise` fails; a spec named `never finishes` stays queued."""
    app = _base_app("backtest-engine stub")
    auth = Depends(_guard(internal_token))
    runs: dict[str, dict[str, Any]] = {}
    tasks: set[asyncio.Task[None]] = set()
    state: dict[str, Redis] = {}

    async def publish(run: dict[str, Any]) -> None:
        if redis_url is None:
            return
        if "redis" not in state:
            state["redis"] = Redis.from_url(redis_url)
        event = {k: run[k] for k in ("id", "status", "progress")}
        if run.get("error"):
            event["error"] = run["error"]
        data = orjson.dumps(event)
        await state["redis"].publish(f"vt:bt:events:{run['id']}", data)
        await state["redis"].publish(f"vt:bt:user:{run['user_id']}", data)

    async def progress(run: dict[str, Any], fail: bool, capital: float) -> None:
        await asyncio.sleep(step_seconds)
        if run["status"] == "cancelled":
            return
        run.update(status="running", progress=0.5, started_at=_now())
        await publish(run)
        await asyncio.sleep(step_seconds)
        if run["status"] == "cancelled":
            return
        if fail:
            run["error"] = Problem(
                type="https://vibetrading.dev/problems/strategy-error",
                title="Strategy error",
                status=422,
                detail="generate_signals raised an exception",
            ).model_dump(mode="json", exclude_none=True)
            run.update(status="failed", progress=1.0, finished_at=_now())
        else:
            run["result"] = sample_result(capital).model_dump(mode="json")
            run.update(status="succeeded", progress=1.0, finished_at=_now())
        await publish(run)

    @app.post("/runs", status_code=202)
    async def create(request: Request, user: str | None = auth) -> Response:
        body = await request.json()
        if (body.get("spec") is None) == (body.get("code") is None):
            return _problem(422, "Invalid input", "give exactly one of spec or code", "validation")
        run_id = str(uuid.uuid4())
        run: dict[str, Any] = {
            "id": run_id,
            "user_id": user,
            "status": "queued",
            "progress": 0.0,
            "created_at": _now(),
            "strategy_id": body.get("strategy_id"),
        }
        runs[run_id] = run
        code = body.get("code") or {}
        spec = body.get("spec") or {}
        if spec.get("name") != "never finishes":
            capital = float(code.get("initial_capital") or spec.get("initial_capital") or 10_000.0)
            task = asyncio.create_task(progress(run, "raise" in str(code.get("code", "")), capital))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return JSONResponse({"id": run_id}, status_code=202)

    def view(run: dict[str, Any]) -> dict[str, Any]:
        return BacktestRun.model_validate(
            {k: v for k, v in run.items() if k != "user_id"}
        ).model_dump(mode="json")

    @app.get("/runs/{run_id}")
    async def get(run_id: str, user: str | None = auth) -> Response:
        run = runs.get(run_id)
        if run is None or run["user_id"] != user:
            return _not_found("backtest run")
        return Response(orjson.dumps(view(run)), media_type="application/json")

    @app.post("/runs/{run_id}/cancel")
    async def cancel(run_id: str, user: str | None = auth) -> Response:
        run = runs.get(run_id)
        if run is None or run["user_id"] != user:
            return _not_found("backtest run")
        if run["status"] in ("succeeded", "failed"):
            return _problem(
                409, "Conflict", f"Backtest run {run_id} already finished", "run-finished"
            )
        if run["status"] != "cancelled":
            run["error"] = Problem(
                type="https://vibetrading.dev/problems/cancelled",
                title="Cancelled",
                status=409,
                detail="You cancelled this backtest before it finished.",
            ).model_dump(mode="json", exclude_none=True)
            run.update(status="cancelled", finished_at=_now())
            await publish(run)
        return Response(orjson.dumps(view(run)), media_type="application/json")

    @app.get("/runs")
    async def list_runs(
        limit: int = 20, cursor: str | None = None, user: str | None = auth
    ) -> dict[str, Any]:
        # shaped like backtest-engine's RunSummary: headline stats as `summary`, no result
        mine = [
            {k: v for k, v in view(r).items() if k != "result"}
            | {
                "summary": (r.get("result") or {}).get("summary_stats")
                if r["status"] == "succeeded"
                else None
            }
            for r in runs.values()
            if r["user_id"] == user
        ]
        mine.reverse()
        return _page(mine, limit, cursor)

    return app


# --------------------------------------------------------------------------------------------
# market-data-service and market-research-service
# --------------------------------------------------------------------------------------------


def _frame(symbol: str, timeframe: str, provider: str, bars: int = 3) -> dict[str, Any]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    stamps = [start + timedelta(days=i) for i in range(bars)]
    closes = [100.0 + i for i in range(bars)]
    frame = OHLCVFrame.model_validate(
        {
            "symbol": symbol,
            "timeframe": timeframe,
            "provider": provider,
            "timestamps": stamps,
            "open": closes,
            "high": [c + 1 for c in closes],
            "low": [c - 1 for c in closes],
            "close": closes,
            "volume": [1000.0] * bars,
            "quality": {"bars": bars, "issues": []},
        }
    )
    return frame.model_dump(mode="json")


def market_data_app(internal_token: str) -> FastAPI:
    """GET /ohlcv (uploads take precedence for their owner), GET /symbols/search, POST/GET /uploads.
    The symbol `NOPE` is unknown (404)."""
    app = _base_app("market-data-service stub")
    auth = Depends(_guard(internal_token))
    uploads: dict[tuple[str, str, str], dict[str, Any]] = {}

    @app.get("/ohlcv")
    async def ohlcv(symbol: str, timeframe: str = "1d", user: str | None = auth) -> Response:
        mine = uploads.get((user or "", symbol, timeframe))
        if mine is not None:
            return JSONResponse(_frame(symbol, timeframe, "upload", mine["bars"]))
        if symbol.upper() == "NOPE":
            return _problem(404, "Not found", f"Unknown symbol {symbol}.", "unknown-symbol")
        return JSONResponse(_frame(symbol, timeframe, "sample"))

    @app.get("/symbols/search")
    async def search(q: str, limit: int = 20, _user: str | None = auth) -> list[dict[str, Any]]:
        known = [
            {
                "symbol": "SPY",
                "name": "SPDR S&P 500 ETF",
                "market": "us_equity",
                "provider": "yfinance",
                "timezone": "America/New_York",
            },
            {
                "symbol": "BTC/USDT",
                "name": "Bitcoin",
                "market": "crypto",
                "provider": "ccxt",
                "timezone": "UTC",
            },
            {
                "symbol": "SAMPLE:AAPL",
                "name": "Apple (offline sample)",
                "market": "us_equity",
                "provider": "sample",
                "timezone": "America/New_York",
            },
        ]
        return [s for s in known if q.lower() in (s["symbol"] + s["name"]).lower()][:limit]

    @app.post("/uploads", status_code=201)
    async def upload(
        file: Annotated[UploadFile, File()],
        symbol: Annotated[str, Form()],
        timeframe: Annotated[str, Form()],
        user: str | None = auth,
    ) -> Response:
        if user is None:
            return _problem(400, "Bad request", "X-User-Id required", "bad-request")
        content = await file.read()
        lines = [line for line in content.decode(errors="replace").splitlines() if line.strip()]
        if len(lines) < 2 or "close" not in lines[0].lower():
            return _problem(
                422,
                "Invalid input",
                "The file needs a header with timestamp, open, high, low, close, volume and at least one row.",
                "validation",
            )
        summary = {
            "symbol": symbol,
            "timeframe": timeframe,
            "bars": len(lines) - 1,
            "filename": file.filename,
            "quality": {"bars": len(lines) - 1, "issues": []},
        }
        uploads[(user, symbol, timeframe)] = summary
        return JSONResponse(summary, status_code=201)

    @app.get("/uploads")
    async def list_uploads(user: str | None = auth) -> dict[str, Any]:
        return {
            "items": [u for (owner, _, _), u in uploads.items() if owner == user],
            "next_cursor": None,
        }

    return app


def research_app(internal_token: str) -> FastAPI:
    """GET /insight?symbol= -> Insight."""
    app = _base_app("market-research-service stub")
    auth = Depends(_guard(internal_token))

    @app.get("/insight")
    async def insight(symbol: str, _user: str | None = auth) -> Response:
        body = Insight(
            symbol=symbol,
            as_of=datetime.now(UTC),
            trend_state="uptrend",
            volatility_regime="normal",
            momentum_pct=4.2,
            recommended_strategy_types=["trend_following"],
        )
        return Response(body.model_dump_json(), media_type="application/json")

    return app
