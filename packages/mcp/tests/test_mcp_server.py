"""Issue 19's "Done when" for the MCP server: an MCP client (the SDK's own ClientSession, over
stdio, to a real `vt-mcp` process) lists the tools, chats the README's SMA strategy on
SAMPLE:AAPL, runs a backtest end to end and reads its metrics, on the real stack; a read-only
token is refused for run_backtest with a message naming the missing scope."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent, TextResourceContents

from .conftest import VT_MCP, Account

README_STRATEGY = (
    "Buy SAMPLE:AAPL when the 20-day SMA crosses above the 50-day SMA, sell when it crosses "
    "below, 5% stop loss, from 2005 to 2012"
)
TOOLS = {
    "chat_strategy",
    "list_strategies",
    "get_strategy",
    "run_backtest",
    "get_backtest",
    "list_backtests",
    "search_symbols",
    "market_data",
    "market_insight",
    "list_deployments",
    "deploy_paper",
}


@asynccontextmanager
async def mcp_session(api_url: str, token: str | None) -> AsyncIterator[ClientSession]:
    env = {"VT_API_URL": api_url, "PATH": os.environ.get("PATH", "")}
    if token is not None:
        env["VT_TOKEN"] = token
    params = StdioServerParameters(command=VT_MCP, args=[], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    if isinstance(result.structured_content, dict):
        return result.structured_content
    parsed: dict[str, Any] = json.loads(text(result))
    return parsed


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_lists_tools_chats_and_backtests_end_to_end(api_url: str, account: Account) -> None:
    token = account.token(api_url, "read", "backtest", "paper")
    async with mcp_session(api_url, token) as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert set(tools) >= TOOLS
        for tool in tools.values():
            assert tool.description
            assert len(tool.description) > 40, tool.name  # written for a model to choose by
        assert "live" not in " ".join(tools).lower()
        assert tools["get_backtest"].annotations is not None
        assert tools["get_backtest"].annotations.read_only_hint is True
        assert "run_id" in tools["get_backtest"].input_schema["properties"]

        chat = data(await mcp.call_tool("chat_strategy", {"message": README_STRATEGY}))
        strategy_id = chat["strategy_id"]
        assert chat["spec"]["universe"]["symbols"] == ["SAMPLE:AAPL"]
        assert chat["conversation_id"]

        listed = data(await mcp.call_tool("list_strategies", {}))
        assert [s["id"] for s in listed["items"]] == [strategy_id]
        assert listed["items"][0]["symbols"] == ["SAMPLE:AAPL"]
        strategy = data(await mcp.call_tool("get_strategy", {"strategy_id": strategy_id}))
        assert strategy["spec"]["universe"]["symbols"] == ["SAMPLE:AAPL"]

        run = data(
            await mcp.call_tool("run_backtest", {"strategy_id": strategy_id, "wait_seconds": 300})
        )
        assert run["status"] == "succeeded", run
        metrics = run["metrics"]
        assert metrics["bars"] > 1000  # 2005-2012 daily
        assert metrics["initial_capital"] == 100_000
        assert isinstance(metrics["total_return_pct"], float)
        assert "max_drawdown_pct" in metrics
        assert run["trade_count"] > 0
        assert run["gates"]
        assert run["run_hash"]

        again = data(await mcp.call_tool("get_backtest", {"run_id": run["id"], "trades": 2}))
        assert again["metrics"] == metrics
        assert len(again["trades"]) == 2
        assert again["trades"][0]["symbol"] == "SAMPLE:AAPL"

        runs = data(await mcp.call_tool("list_backtests", {"limit": 5}))
        assert runs["items"][0]["id"] == run["id"]
        headline = runs["items"][0]["headline"]
        assert headline["total_return_pct"] == metrics["total_return_pct"]
        assert headline["trade_count"] == metrics["trade_count"]

        # the same things as resources
        templates = {
            t.uri_template for t in (await mcp.list_resource_templates()).resource_templates
        }
        assert templates >= {
            "vibetrading://strategies/{strategy_id}",
            "vibetrading://backtests/{run_id}",
        }
        resources = {str(r.uri) for r in (await mcp.list_resources()).resources}
        assert "vibetrading://schemas/strategy-spec" in resources
        read = await mcp.read_resource(f"vibetrading://backtests/{run['id']}")
        content = read.contents[0]
        assert isinstance(content, TextResourceContents)
        assert content.mime_type == "application/json"
        assert json.loads(content.text)["metrics"] == metrics
        read = await mcp.read_resource(f"vibetrading://strategies/{strategy_id}")
        content = read.contents[0]
        assert isinstance(content, TextResourceContents)
        assert json.loads(content.text)["spec"]["universe"]["symbols"] == ["SAMPLE:AAPL"]
        read = await mcp.read_resource("vibetrading://schemas/strategy-spec")
        content = read.contents[0]
        assert isinstance(content, TextResourceContents)
        assert "universe" in json.loads(content.text)["properties"]
        with pytest.raises(MCPError) as missing:
            await mcp.read_resource("vibetrading://backtests/00000000-0000-4000-8000-000000000009")
        assert "404" in missing.value.message

        prompts = {p.name for p in (await mcp.list_prompts()).prompts}
        assert "backtest_idea" in prompts
        prompt = await mcp.get_prompt("backtest_idea", {"idea": "buy the dip on SAMPLE:IBM"})
        first = prompt.messages[0].content
        assert isinstance(first, TextContent)
        assert "buy the dip on SAMPLE:IBM" in first.text
        assert "chat_strategy" in first.text

        # returning the id at once, then reading it back
        queued = data(
            await mcp.call_tool("run_backtest", {"strategy_id": strategy_id, "wait_seconds": 0})
        )
        assert queued["id"] != run["id"]
        assert queued["status"] in ("queued", "running", "succeeded")

        found = data(await mcp.call_tool("search_symbols", {"query": "AAPL"}))
        assert "SAMPLE:AAPL" in json.dumps(found["items"])

        bars = data(
            await mcp.call_tool(
                "market_data",
                {
                    "symbol": "SAMPLE:AAPL",
                    "start": "2010-01-01",
                    "end": "2010-12-31",
                    "max_bars": 5,
                },
            )
        )
        assert bars["bars_total"] > 200
        assert bars["bars_returned"] == 5
        assert bars["last"].startswith("2010-12")

        insight = data(await mcp.call_tool("market_insight", {"symbol": "SAMPLE:AAPL"}))
        assert insight["symbol"] == "SAMPLE:AAPL"
        assert insight["trend_state"]

        # paper only, and a failing-gates refusal carries the API's message
        refused = await mcp.call_tool(
            "deploy_paper",
            {"strategy_id": strategy_id, "backtest_id": run["id"], "capital": 10_000},
        )
        if not all(g["passed"] for g in run["gates"]):
            assert refused.is_error
            assert "gate" in text(refused).lower()
        deployed = data(
            await mcp.call_tool(
                "deploy_paper",
                {
                    "strategy_id": strategy_id,
                    "backtest_id": run["id"],
                    "capital": 10_000,
                    "acknowledge_failed_gates": True,
                    "replay_start": "2011-01-01",
                    "replay_end": "2012-12-31",
                },
            )
        )
        assert deployed["environment"] == "paper"
        deployments = data(await mcp.call_tool("list_deployments", {}))
        assert [d["id"] for d in deployments["items"]] == [deployed["id"]]


async def test_read_scope_is_refused_for_run_backtest(api_url: str, account: Account) -> None:
    token = account.token(api_url, "read")
    async with mcp_session(api_url, token) as mcp:
        listed = data(await mcp.call_tool("list_strategies", {}))
        assert "items" in listed
        result = await mcp.call_tool(
            "run_backtest", {"strategy_id": "00000000-0000-4000-8000-000000000001"}
        )
        assert result.is_error
        message = text(result)
        assert "403" in message
        assert "'backtest' scope" in message
        assert "POST /api/v1/users/me/tokens" in message
        result = await mcp.call_tool(
            "deploy_paper", {"strategy_id": "s", "backtest_id": "b", "capital": 1}
        )
        assert result.is_error
        assert "'paper' scope" in text(result)


async def test_configuration_errors_are_tool_errors(api_url: str) -> None:
    async with mcp_session(api_url, None) as mcp:
        result = await mcp.call_tool("list_strategies", {})
        assert result.is_error
        assert "VT_TOKEN" in text(result)
    async with mcp_session(api_url, "vtp_" + "0" * 43) as mcp:
        result = await mcp.call_tool("list_strategies", {})
        assert result.is_error
        assert "401" in text(result)
        assert "revoked" in text(result)
        result = await mcp.call_tool("get_backtest", {"run_id": "x", "trades": 10_000})
        assert result.is_error  # the input schema's bound, before any call


async def test_revoked_token_stops_working(api_url: str, account: Account) -> None:
    token = account.token(api_url, "read")
    async with (
        mcp_session(api_url, token) as mcp,
        httpx.AsyncClient(base_url=api_url, headers=account.headers) as http,
    ):
        assert not (await mcp.call_tool("list_strategies", {})).is_error
        listed = (await http.get("/api/v1/users/me/tokens")).json()
        token_id = next(t["id"] for t in listed["items"] if token.startswith(t["prefix"]))
        r = await http.delete(f"/api/v1/users/me/tokens/{token_id}")
        assert r.status_code == 204
        result = await mcp.call_tool("list_strategies", {})
        assert result.is_error
        assert "401" in text(result)


async def test_streamable_http_transport(api_url: str, account: Account) -> None:
    """`vt-mcp --transport streamable-http` on a loopback port, the SDK's HTTP client."""
    token = account.token(api_url, "read")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"VT_API_URL": api_url, "VT_TOKEN": token, "PATH": os.environ.get("PATH", "")}
    proc = await anyio.open_process(
        [VT_MCP, "--transport", "streamable-http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        async with httpx.AsyncClient(timeout=1) as probe:
            for _ in range(100):
                try:
                    await probe.get(url)
                    break
                except httpx.TransportError:
                    await anyio.sleep(0.1)
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(read, write) as mcp,
        ):
            await mcp.initialize()
            tools = {t.name for t in (await mcp.list_tools()).tools}
            assert tools >= TOOLS
            listed = data(await mcp.call_tool("list_strategies", {}))
            assert isinstance(listed["items"], list)
    finally:
        proc.terminate()
        with anyio.fail_after(10):
            await proc.wait()
