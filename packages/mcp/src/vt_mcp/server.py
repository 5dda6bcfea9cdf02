"""`vt-mcp`: the VibeTrading MCP server. AI assistants (Claude Desktop, IDEs, agents) chat
strategies, backtest them, read market data and insight, and deploy to PAPER trading, through the
public API with a personal access token (VT_TOKEN) whose scopes the gateway enforces.

Live trading is not reachable from here by construction: there is no live tool, `deploy_paper`
always sends mode=paper, and the gateway refuses any personal access token on live, account and
credential routes whatever its scopes.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from vt_client import VTClient
from vt_mcp import views
from vt_mcp.config import Config
from vt_mcp.errors import call

T = TypeVar("T")

INSTRUCTIONS = """VibeTrading: describe a trading strategy in plain language, get a typed StrategySpec,
backtest it honestly on real market data (signals at bar t fill at the next bar's open, costs on),
and deploy it to paper trading.

Typical flow: chat_strategy("Buy SAMPLE:AAPL when the 20-day SMA crosses above the 50-day SMA,
sell when it crosses below, from 2005 to 2012") -> strategy_id; run_backtest(strategy_id) ->
metrics and promotion gates; optionally deploy_paper(strategy_id, backtest_id, capital).
Offline sample symbols always work: SAMPLE:AAPL, SAMPLE:MSFT, SAMPLE:IBM, SAMPLE:GOOG (daily
2000-2013) and DEMO:TREND, DEMO:RANGE. Numbers come from the platform: quote them, never invent
them. Errors carry the API's message saying what to change."""

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

StrategyId = Annotated[str, Field(description="Id of a saved strategy (from chat_strategy).")]
RunId = Annotated[str, Field(description="Backtest run id (from run_backtest).")]
Symbol = Annotated[
    str,
    Field(
        description="Symbol with its provider prefix when needed, e.g. SAMPLE:AAPL, AAPL, "
        "BTC/USDT. Use search_symbols when unsure."
    ),
]
Day = Annotated[date | None, Field(description="ISO date, e.g. 2005-01-01.")]


def build(config: Config) -> MCPServer[Any]:
    """The server with its tools, bound to one API client."""
    client = VTClient(config.api_url, token=config.token, timeout=config.timeout_s)
    server: MCPServer[Any] = MCPServer(
        name="vibetrading", title="VibeTrading", instructions=INSTRUCTIONS, version="0.1.0"
    )

    async def api(fn: Callable[[], T]) -> T:
        # the typed client is synchronous: run it off the event loop
        return await anyio.to_thread.run_sync(lambda: call(config.api_url, fn))

    async def read(fn: Callable[[], T]) -> T:
        """`api` for resource reads: failures are resource errors (a 404 is "not found")."""
        return await anyio.to_thread.run_sync(lambda: call(config.api_url, fn, resource=True))

    @server.tool(annotations=WRITE)
    async def chat_strategy(
        message: Annotated[
            str,
            Field(
                min_length=1,
                max_length=4000,
                description="The strategy in plain language: symbols, entry and exit rules, "
                "stops, sizing, period. Or a follow-up change ('add a 5% stop loss').",
            ),
        ],
        conversation_id: Annotated[
            str | None,
            Field(description="Continue this conversation (to answer a clarification or edit)."),
        ] = None,
    ) -> dict[str, Any]:
        """Turn a plain-language trading idea into a saved, validated strategy (a StrategySpec).

        Returns the assistant's reply, the strategy_id and version when a strategy was saved, the
        spec, warnings (assumptions, clauses not understood) and, when something essential is
        missing, a clarification question: answer it by calling chat_strategy again with the same
        conversation_id. Needs the token's `backtest` scope."""
        reply = await api(lambda: client.chat(message, conversation_id))
        return views.chat(reply)

    @server.tool(annotations=READ)
    async def list_strategies(
        limit: Annotated[int, Field(ge=1, le=100, description="How many (newest first).")] = 20,
        cursor: Annotated[
            str | None, Field(description="next_cursor of the previous page.")
        ] = None,
    ) -> dict[str, Any]:
        """List your saved strategies (id, name, version, symbols), newest first."""
        page = await api(lambda: client.strategies(limit=limit, cursor=cursor))
        return {
            "items": [views.strategy_summary(item) for item in page.items],
            "next_cursor": page.next_cursor,
        }

    @server.tool(annotations=READ)
    async def get_strategy(strategy_id: StrategyId) -> dict[str, Any]:
        """One strategy with its full current StrategySpec (universe, period, indicators,
        entry/exit conditions, sizing, risk, costs)."""
        found = await api(lambda: client.strategy(strategy_id))
        return views.strategy(found)

    @server.tool(annotations=WRITE)
    async def run_backtest(
        strategy_id: StrategyId,
        start: Day = None,
        end: Day = None,
        initial_capital: Annotated[
            float | None,
            Field(gt=0, description="Starting capital (default: the strategy's own, 100,000)."),
        ] = None,
        commission: Annotated[
            float | None, Field(ge=0, le=0.1, description="Fraction of traded value.")
        ] = None,
        slippage: Annotated[float | None, Field(ge=0, le=0.1, description="Fraction.")] = None,
        wait_seconds: Annotated[
            float,
            Field(
                ge=0,
                le=600,
                description="How long to wait for the result; 0 returns the run id at once.",
            ),
        ] = 120,
    ) -> dict[str, Any]:
        """Backtest a saved strategy on real market data and return its metrics (total return,
        CAGR, Sharpe, Sortino, max drawdown, win rate, profit factor, ...) and promotion gates.

        Waits up to wait_seconds for the run to finish; if it is still running, returns its id
        and status: call get_backtest later. The period defaults to the strategy's own. Needs
        the token's `backtest` scope (and `read` to fetch the result)."""
        run_id = await api(
            lambda: client.run_backtest(
                strategy_id=strategy_id,
                start=start.isoformat() if start else None,
                end=end.isoformat() if end else None,
                initial_capital=initial_capital,
                commission=commission,
                slippage=slippage,
            )
        )
        with anyio.move_on_after(wait_seconds):
            while True:
                run = await api(lambda: client.backtest(run_id))
                if run.status in ("succeeded", "failed", "cancelled"):
                    return views.backtest(run)
                await anyio.sleep(0.5)
        run = await api(lambda: client.backtest(run_id))
        return views.backtest(run)

    @server.tool(annotations=READ)
    async def get_backtest(
        run_id: RunId,
        trades: Annotated[
            int, Field(ge=0, le=500, description="Also return the first N trades.")
        ] = 0,
    ) -> dict[str, Any]:
        """Status of a backtest run and, when it succeeded, its metrics, promotion gates, trade
        count and reproducibility hash; `trades` > 0 adds the first trades."""
        run = await api(lambda: client.backtest(run_id))
        return views.backtest(run, trades=trades)

    @server.tool(annotations=READ)
    async def list_backtests(
        limit: Annotated[int, Field(ge=1, le=100, description="How many (newest first).")] = 20,
        cursor: Annotated[
            str | None, Field(description="next_cursor of the previous page.")
        ] = None,
    ) -> dict[str, Any]:
        """List your backtest runs, newest first: id, status, strategy, symbols and, for the
        succeeded ones, headline numbers (total return, Sharpe, max drawdown, trades). Use
        get_backtest for a run's gates and trades."""
        page = await api(
            lambda: client.request(
                "GET",
                "/backtests",
                params={"limit": limit, **({"cursor": cursor} if cursor else {})},
            ).json()
        )
        return {
            "items": [views.backtest_summary(item) for item in page.get("items", [])],
            "next_cursor": page.get("next_cursor"),
        }

    @server.tool(annotations=READ)
    async def search_symbols(
        query: Annotated[str, Field(min_length=1, max_length=50, description="Part of a name.")],
    ) -> dict[str, Any]:
        """Find symbols the market data service knows (offline samples, uploads, providers)."""
        found = await api(lambda: client.search_symbols(query))
        return {"items": found}

    @server.tool(annotations=READ)
    async def market_data(
        symbol: Symbol,
        timeframe: Annotated[
            str, Field(description="Bar size: 1m, 5m, 15m, 1h, 4h, 1d, 1w.")
        ] = "1d",
        start: Day = None,
        end: Day = None,
        max_bars: Annotated[
            int, Field(ge=1, le=2000, description="Return at most the last N bars.")
        ] = 100,
    ) -> dict[str, Any]:
        """OHLCV bars of a symbol (the last max_bars of the period) with the provider, the date
        range and the close's range. Offline samples are labelled with provider 'sample'."""
        frame = await api(
            lambda: client.market_data(
                symbol,
                timeframe,
                start.isoformat() if start else None,
                end.isoformat() if end else None,
            )
        )
        return views.market(frame, max_bars)

    @server.tool(annotations=READ)
    async def market_insight(symbol: Symbol) -> dict[str, Any]:
        """The research service's view of a symbol: trend state, volatility regime, momentum,
        drawdown, sentiment (with its reason), risk flags and strategy types that suit it, each
        with how it was derived."""
        found = await api(lambda: client.insight(symbol))
        return views.insight(found)

    @server.tool(annotations=READ)
    async def list_deployments(
        status: Annotated[
            Literal["pending", "running", "paused", "stopped", "expired", "failed"] | None,
            Field(description="Only deployments in this status."),
        ] = None,
    ) -> dict[str, Any]:
        """Your PAPER trading deployments: status, risk state, capital, symbols, gates and replay
        progress. (Live deployments are not visible through this server.)"""
        page = await api(lambda: client.deployments(environment="paper", status=status))
        return {
            "items": [views.deployment(d) for d in page.items],
            "next_cursor": page.next_cursor,
            "unavailable": page.unavailable,
        }

    @server.tool(annotations=WRITE)
    async def deploy_paper(
        strategy_id: StrategyId,
        backtest_id: Annotated[
            str, Field(description="A succeeded backtest run of this strategy that qualifies it.")
        ],
        capital: Annotated[float, Field(gt=0, description="Capital allocated (account currency).")],
        account_id: Annotated[
            str | None, Field(description="Paper account; your default paper account if omitted.")
        ] = None,
        acknowledge_failed_gates: Annotated[
            bool,
            Field(
                description="Deploy although promotion gates failed (recorded). Only do this "
                "when the user explicitly agreed."
            ),
        ] = False,
        replay_start: Day = None,
        replay_end: Day = None,
        bars_per_second: Annotated[
            float, Field(gt=0, le=10000, description="Replay speed (replay only).")
        ] = 20,
    ) -> dict[str, Any]:
        """Deploy a backtested strategy to PAPER trading (simulated broker; never real money).

        With replay_start and replay_end it steps through those historical bars (labelled
        replay); otherwise it trades new bars as they close. A strategy failing the promotion
        gates is refused, naming the gates, unless acknowledge_failed_gates is true. Needs the
        token's `paper` scope. There is no live deployment through this server."""
        body: dict[str, Any] = {
            "strategy_id": strategy_id,
            "backtest_id": backtest_id,
            "mode": "paper",
            "broker": "paper",
            "capital": str(capital),
            "acknowledge_failed_gates": acknowledge_failed_gates,
        }
        if account_id:
            body["account_id"] = account_id
        if replay_start or replay_end:
            body["replay"] = {
                "start": replay_start.isoformat() if replay_start else None,
                "end": replay_end.isoformat() if replay_end else None,
                "bars_per_second": bars_per_second,
            }
        created = await api(lambda: client.deploy(body))
        return views.deployment(created)

    # ------------------------------------------------------------------ resources and prompts

    @server.resource(
        "vibetrading://schemas/strategy-spec",
        name="strategy-spec-schema",
        title="StrategySpec v1 JSON Schema",
        description="The JSON Schema every strategy follows (universe, period, indicators, "
        "entry/exit conditions, sizing, risk, costs): what chat_strategy produces.",
        mime_type="application/schema+json",
    )
    async def strategy_spec_schema() -> str:
        schema = await read(client.strategy_schema)
        return json.dumps(schema, indent=1)

    @server.resource(
        "vibetrading://strategies/{strategy_id}",
        name="strategy",
        title="A saved strategy",
        description="A strategy with its current StrategySpec (as get_strategy returns it).",
        mime_type="application/json",
    )
    async def strategy_resource(strategy_id: str) -> str:
        found = await read(lambda: client.strategy(strategy_id))
        return json.dumps(views.strategy(found), indent=1)

    @server.resource(
        "vibetrading://backtests/{run_id}",
        name="backtest",
        title="A backtest run",
        description="A backtest run's status, metrics, promotion gates and reproducibility hash "
        "(as get_backtest returns it).",
        mime_type="application/json",
    )
    async def backtest_resource(run_id: str) -> str:
        run = await read(lambda: client.backtest(run_id))
        return json.dumps(views.backtest(run), indent=1)

    @server.prompt(
        name="backtest_idea",
        title="Backtest a trading idea",
        description="Turn a plain-language trading idea into a strategy, backtest it and "
        "explain the result honestly.",
    )
    def backtest_idea(
        idea: Annotated[str, Field(description="The trading idea in plain language.")],
    ) -> str:
        return (
            "Use the VibeTrading tools to test this trading idea:\n\n"
            f"{idea}\n\n"
            "1. Call chat_strategy with the idea. If it asks a clarification, ask me (or answer "
            "from the idea) and call chat_strategy again with the same conversation_id. Read its "
            "warnings: say which parts of the idea it did not understand or assumed.\n"
            "2. Call run_backtest with the strategy_id.\n"
            "3. Report total return, CAGR, Sharpe, max drawdown, trade count and the benchmark, "
            "and which promotion gates failed, quoting the numbers the tools returned; never "
            "invent numbers. Past results do not predict future ones.\n"
            "4. Do not deploy anything unless I ask; deploy_paper is paper trading only."
        )

    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="vt-mcp",
        description="VibeTrading MCP server. Configure with VT_API_URL and VT_TOKEN "
        "(a personal access token: `vt token create`).",
    )
    parser.add_argument(
        "--transport", choices=("stdio", "streamable-http"), default="stdio", help="default stdio"
    )
    parser.add_argument("--host", default="127.0.0.1", help="streamable-http bind address")
    parser.add_argument("--port", type=int, default=8765, help="streamable-http port")
    args = parser.parse_args(argv)
    # stdout is the protocol channel; the SDK logs to stderr, where one line per API call is noise
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = build(Config.from_env())
    if args.transport == "stdio":
        server.run("stdio")
    else:
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            # the MCP endpoint has no login of its own: whoever reaches it acts with VT_TOKEN
            logging.getLogger("vt_mcp").warning(
                "Serving on %s: anyone who can reach port %d acts with this token's scopes.",
                args.host,
                args.port,
            )
        server.run("streamable-http", host=args.host, port=args.port)
