"""Contract tests of every endpoint through the gateway to the (in-process) internal services."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import psycopg

from vt_contracts import BacktestRun, StrategySpec
from vt_gateway.backtests.schemas import BacktestRunSummary
from vt_gateway.stubs import SMA_CROSS

CODE = "def generate_signals(data, params):\n    c = data['close']\n    return c > c.shift(1), c < c.shift(1)\n"


async def chat(
    gw: httpx.AsyncClient,
    headers: dict[str, str],
    message: str = "Buy SPY on a 20/50 SMA golden cross",
) -> dict[str, Any]:
    r = await gw.post("/api/v1/chat/strategy", json={"message": message}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def wait_finished(
    gw: httpx.AsyncClient, headers: dict[str, str], run_id: str
) -> dict[str, Any]:
    for _ in range(200):
        r = await gw.get(f"/api/v1/backtest/{run_id}", headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("run did not finish")


async def test_chat_json_shape(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    body = await chat(gw, alice)
    assert {"conversation_id", "reply", "strategy_id", "spec", "warnings", "clarification"} <= set(
        body
    )
    assert body["clarification"] is None
    StrategySpec.model_validate(body["spec"])
    follow = await gw.post(
        "/api/v1/chat/strategy",
        json={
            "message": "Add a stop loss of five percent",
            "conversation_id": body["conversation_id"],
        },
        headers=alice,
    )
    assert follow.json()["strategy_id"] == body["strategy_id"]
    unclear = await chat(gw, alice, "Make money?")
    assert unclear["spec"] is None
    assert unclear["strategy_id"] is None
    assert unclear["clarification"]
    conv = await gw.get(f"/api/v1/conversations/{body['conversation_id']}", headers=alice)
    assert conv.status_code == 200
    assert len(conv.json()["messages"]) == 4


async def test_chat_streams_sse(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    async with gw.stream(
        "POST",
        "/api/v1/chat/strategy",
        json={"message": "Buy SPY on a 20/50 SMA golden cross"},
        headers={**alice, "Accept": "text/event-stream"},
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = (await r.aread()).decode()
    events = [block for block in text.split("\n\n") if block.strip()]
    assert events[0].startswith("event: token")
    assert events[-1].startswith("event: result")
    result = orjson.loads(events[-1].split("data: ", 1)[1])
    assert result["strategy_id"]


async def test_chat_validates_input(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    r = await gw.post("/api/v1/chat/strategy", json={"message": ""}, headers=alice)
    assert r.status_code == 422
    r = await gw.post(
        "/api/v1/chat/strategy", json={"message": "x", "conversation_id": "nope"}, headers=alice
    )
    assert r.status_code == 422


async def test_strategies_crud_and_versions(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    created = await chat(gw, alice)
    sid = created["strategy_id"]
    page = (await gw.get("/api/v1/strategies", headers=alice)).json()
    assert [s["id"] for s in page["items"]] == [sid]
    assert page["next_cursor"] is None
    one = await gw.get(f"/api/v1/strategies/{sid}", headers=alice)
    assert one.status_code == 200
    assert one.json()["spec"]["name"] == SMA_CROSS["name"]

    edited = {**SMA_CROSS, "name": "Edited crossover"}
    r = await gw.put(
        f"/api/v1/strategies/{sid}", json={"spec": edited, "name": "Edited"}, headers=alice
    )
    assert r.status_code == 200, r.text
    assert r.json()["current_version"] == 2
    bad = await gw.put(
        f"/api/v1/strategies/{sid}", json={"spec": {**SMA_CROSS, "leverage": 10}}, headers=alice
    )
    assert bad.status_code == 422
    versions = (await gw.get(f"/api/v1/strategies/{sid}/versions", headers=alice)).json()
    assert [v["version"] for v in versions["items"]] == [1, 2]
    v2 = await gw.get(f"/api/v1/strategies/{sid}/versions/2", headers=alice)
    assert v2.json()["spec"]["name"] == "Edited crossover"
    paged = (
        await gw.get(f"/api/v1/strategies/{sid}/versions", params={"limit": 1}, headers=alice)
    ).json()
    assert len(paged["items"]) == 1
    assert paged["next_cursor"]
    rest = (
        await gw.get(
            f"/api/v1/strategies/{sid}/versions",
            params={"limit": 1, "cursor": paged["next_cursor"]},
            headers=alice,
        )
    ).json()
    assert rest["items"][0]["version"] == 2

    assert (await gw.delete(f"/api/v1/strategies/{sid}", headers=alice)).status_code == 204
    assert (await gw.get(f"/api/v1/strategies/{sid}", headers=alice)).status_code == 404
    assert (await gw.get("/api/v1/strategies", headers=alice)).json()["items"] == []


async def test_list_params_are_validated(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"sort": "drop table"}):
        r = await gw.get("/api/v1/strategies", params=params, headers=alice)
        assert r.status_code == 422, params
    r = await gw.get("/api/v1/strategies/not-a-uuid", headers=alice)
    assert r.status_code == 422


async def test_backtest_with_strategy_id(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    sid = (await chat(gw, alice))["strategy_id"]
    r = await gw.post("/api/v1/backtest/run", json={"strategy_id": sid}, headers=alice)
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"id"}
    run = await wait_finished(gw, alice, r.json()["id"])
    BacktestRun.model_validate(run)
    assert run["status"] == "succeeded"
    assert run["strategy_id"] == sid
    stats = run["result"]["summary_stats"]
    for key in (
        "final_equity",
        "total_return_pct",
        "trade_count",
        "max_drawdown_pct",
        "sharpe_ratio",
    ):
        assert key in stats
    assert run["progress"] == 1.0
    # a finished run is served from the cache on the next read, identically
    again = await gw.get(f"/api/v1/backtest/{run['id']}", headers=alice)
    assert again.json() == run
    listed = (await gw.get("/api/v1/backtests", headers=alice)).json()
    assert [item["id"] for item in listed["items"]] == [run["id"]]
    assert "result" not in listed["items"][0]
    # the list carries the headline stats the backtests page shows (return, Sharpe, DD, trades)
    item = BacktestRunSummary.model_validate(listed["items"][0])
    assert item.summary is not None
    assert item.summary.total_return_pct == stats["total_return_pct"]
    assert item.summary.sharpe_ratio == stats["sharpe_ratio"]
    assert item.summary.max_drawdown_pct == stats["max_drawdown_pct"]
    assert item.summary.trade_count == stats["trade_count"]
    assert item.created_at is not None


async def test_cancel_passes_through_with_ownership(
    gw: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    # the stub keeps a spec of this name queued; the real engine runs it like any other
    spec = {**SMA_CROSS, "name": "never finishes"}
    r = await gw.post("/api/v1/backtest/run", json={"spec": spec}, headers=alice)
    run_id = r.json()["id"]
    assert (await gw.post(f"/api/v1/backtest/{run_id}/cancel", headers=bob)).status_code == 404
    cancel = await gw.post(f"/api/v1/backtest/{run_id}/cancel", headers=alice)
    # the worker may have finished it already: then the answer says so, else it is cancelled
    if cancel.status_code == 200:
        assert cancel.json()["status"] == "cancelled"
        assert cancel.json()["result"] is None
    else:
        assert cancel.status_code == 409, cancel.text
        assert cancel.json()["type"].endswith("/run-finished")
    run = await wait_finished(gw, alice, run_id)
    assert run["status"] in ("cancelled", "succeeded")
    if run["status"] == "succeeded":  # a finished run cannot be cancelled afterwards
        again = await gw.post(f"/api/v1/backtest/{run_id}/cancel", headers=alice)
        assert again.status_code == 409


async def test_backtest_with_spec_and_with_code(
    gw: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    r = await gw.post("/api/v1/backtest/run", json={"spec": SMA_CROSS}, headers=alice)
    assert r.status_code == 202, r.text
    assert (await wait_finished(gw, alice, r.json()["id"]))["status"] == "succeeded"
    r = await gw.post(
        "/api/v1/backtest/run",
        json={
            "code": CODE,
            "symbols": ["SAMPLE:AAPL"],
            "timeframe": "1d",
            "start": "2020-01-01",
            "end": "2021-01-01",
            "initial_capital": 5000,
            "commission": 0.001,
            "slippage": 0.0005,
            "fill": "close",
            "size": 0.5,
            "params": {"n": 3},
            "gates": {"min_trades": 1},
        },
        headers=alice,
    )
    assert r.status_code == 202, r.text
    run = await wait_finished(gw, alice, r.json()["id"])
    assert run["result"]["summary_stats"]["initial_capital"] == 5000


async def test_failed_run_reports_a_problem(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    r = await gw.post(
        "/api/v1/backtest/run",
        json={
            "code": "def generate_signals(data, params):\n    raise ValueError('x')\n",
            "symbols": ["SPY"],
        },
        headers=alice,
    )
    run = await wait_finished(gw, alice, r.json()["id"])
    assert run["status"] == "failed"
    assert run["error"]["status"] == 422
    assert run["error"]["title"]
    assert run.get("result") is None


async def test_backtest_run_validation(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"spec": SMA_CROSS, "code": CODE, "symbols": ["SPY"]},
        {"code": CODE},
        {"spec": SMA_CROSS, "symbols": ["SPY"]},
        {"code": CODE, "symbols": ["SPY"], "commission": 5},
        {"code": CODE, "symbols": ["SPY"], "fill": "whenever"},
        {"code": CODE, "symbols": ["SPY"], "start": "2021-01-01", "end": "2020-01-01"},
        {"spec": {**SMA_CROSS, "universe": {"symbols": []}}},
        {"strategy_version": 2, "spec": SMA_CROSS},
    ]
    for body in cases:
        r = await gw.post("/api/v1/backtest/run", json=body, headers=alice)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"]


async def test_backtest_unknown_ids_are_404(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await gw.get(f"/api/v1/backtest/{missing}", headers=alice)).status_code == 404
    r = await gw.post("/api/v1/backtest/run", json={"strategy_id": missing}, headers=alice)
    assert r.status_code == 404
    assert r.json()["instance"] == "/api/v1/backtest/run"


async def test_backtest_events_sse(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    r = await gw.post("/api/v1/backtest/run", json={"spec": SMA_CROSS}, headers=alice)
    run_id = r.json()["id"]
    async with gw.stream("GET", f"/api/v1/backtest/{run_id}/events", headers=alice) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = (await stream.aread()).decode()
    events = [
        orjson.loads(b.split("data: ", 1)[1])
        for b in text.split("\n\n")
        if b.startswith("event: status")
    ]
    assert events[0]["id"] == run_id
    assert events[-1]["status"] == "succeeded"
    assert events[-1]["progress"] == 1.0
    # a finished run answers its final state at once and ends the stream
    async with gw.stream("GET", f"/api/v1/backtest/{run_id}/events", headers=alice) as stream:
        text = (await stream.aread()).decode()
    assert text.count("event: status") == 1


async def test_market_routes(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    r = await gw.get(
        "/api/v1/market/data", params={"symbol": "SPY", "timeframe": "1d"}, headers=alice
    )
    assert r.status_code == 200, r.text
    frame = r.json()
    assert frame["symbol"] == "SPY"
    assert len(frame["close"]) == len(frame["timestamps"])
    assert (
        await gw.get("/api/v1/market/data", params={"symbol": "NOPE"}, headers=alice)
    ).status_code == 404
    assert (
        await gw.get(
            "/api/v1/market/data", params={"symbol": "SPY", "timeframe": "2d"}, headers=alice
        )
    ).status_code == 422
    hits = (await gw.get("/api/v1/market/symbols", params={"q": "btc"}, headers=alice)).json()
    assert hits[0]["symbol"] == "BTC/USDT"
    insight = await gw.get("/api/v1/market/insight", params={"symbol": "SPY"}, headers=alice)
    assert insight.status_code == 200
    assert insight.json()["symbol"] == "SPY"


async def test_upload_is_private_and_used_at_once(
    gw: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    csv = b"timestamp,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1.5,2,1,1.8,12\n"
    r = await gw.post(
        "/api/v1/market/uploads",
        files={"file": ("mine.csv", csv, "text/csv")},
        data={"symbol": "MYDATA", "timeframe": "1d"},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    assert r.json()["symbol"] == "MYDATA"
    mine = await gw.get("/api/v1/market/data", params={"symbol": "MYDATA"}, headers=alice)
    assert mine.json()["provider"] == "upload"
    theirs = await gw.get("/api/v1/market/data", params={"symbol": "MYDATA"}, headers=bob)
    assert theirs.json()["provider"] != "upload"
    assert len((await gw.get("/api/v1/market/uploads", headers=alice)).json()["items"]) == 1
    assert (await gw.get("/api/v1/market/uploads", headers=bob)).json()["items"] == []
    bad = await gw.post(
        "/api/v1/market/uploads",
        files={"file": ("x.exe", b"MZ", "application/octet-stream")},
        data={"symbol": "X", "timeframe": "1d"},
        headers=alice,
    )
    assert bad.status_code == 422
    upstream_refusal = await gw.post(
        "/api/v1/market/uploads",
        files={"file": ("empty.csv", b"nothing here", "text/csv")},
        data={"symbol": "X", "timeframe": "1d"},
        headers=alice,
    )
    assert upstream_refusal.status_code == 422
    assert upstream_refusal.json()["instance"] == "/api/v1/market/uploads"


async def test_strategy_schema(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/api/v1/schemas/strategy")
    assert r.status_code == 200
    assert r.json() == StrategySpec.model_json_schema()


async def test_user_settings_never_echo_the_api_key(
    gw: httpx.AsyncClient, alice: dict[str, str], database_url: str
) -> None:
    me = (await gw.get("/api/v1/users/me", headers=alice)).json()
    assert me["settings"]["has_llm_api_key"] is False
    r = await gw.patch(
        "/api/v1/users/me/settings",
        json={
            "default_initial_capital": 25000,
            "default_commission": 0.0005,
            "llm_provider": "openai",
            "llm_api_key": "sk-test-SECRET-123456",
        },
        headers=alice,
    )
    assert r.status_code == 200, r.text
    assert "SECRET" not in r.text
    body = r.json()
    assert body["settings"]["has_llm_api_key"] is True
    assert body["settings"]["default_initial_capital"] == 25000
    assert body["settings"]["llm_provider"] == "openai"
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT settings::text FROM users WHERE email = 'alice@example.com'"
        ).fetchone()
    assert row is not None
    assert "SECRET" not in row[0]  # encrypted at rest
    assert "SECRET" not in (await gw.get("/api/v1/users/me", headers=alice)).text
    # partial update keeps other fields; null deletes the key
    r = await gw.patch("/api/v1/users/me/settings", json={"llm_api_key": None}, headers=alice)
    assert r.json()["settings"]["has_llm_api_key"] is False
    assert r.json()["settings"]["default_initial_capital"] == 25000
    assert (
        await gw.patch("/api/v1/users/me/settings", json={"default_commission": 5}, headers=alice)
    ).status_code == 422
    assert (
        await gw.patch("/api/v1/users/me/settings", json={"role": "admin"}, headers=alice)
    ).status_code == 422
