"""`vt`: the headless way to use VibeTrading (login, chat, strategies, backtests, trading).

The API URL comes from VT_API_URL (default http://127.0.0.1:8000); the token from VT_TOKEN or
~/.config/vibetrading/credentials.json (written by `vt login`, mode 0600).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vt_client import credentials
from vt_client.client import FINISHED, VTClient, default_api_url
from vt_client.errors import APIError, NotLoggedIn, VTError
from vt_client.models import Tokens
from vt_contracts import BacktestRun, StrategySpec

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
strategies_app = typer.Typer(help="Your saved strategies.", no_args_is_help=True)
backtest_app = typer.Typer(help="Run backtests and read their results.", no_args_is_help=True)
app.add_typer(strategies_app, name="strategies")
app.add_typer(backtest_app, name="backtest")
token_app = typer.Typer(
    help="Personal access tokens for scripts and AI assistants (the MCP server).",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")

console = Console()
err = Console(stderr=True)


def _client(require_login: bool = True) -> VTClient:
    url = default_api_url()
    saved = credentials.load(url)
    if saved is None and require_login:
        raise _fail(NotLoggedIn(f"Not logged in to {url}: run `vt login` or set VT_TOKEN."))

    def persist(tokens: Tokens) -> None:
        if saved is not None and saved.refresh_token:
            saved.access_token = tokens.access_token
            saved.refresh_token = tokens.refresh_token or saved.refresh_token
            credentials.save(saved)

    return VTClient(
        url,
        token=saved.access_token if saved else None,
        refresh_token=saved.refresh_token if saved else None,
        on_tokens=persist,
    )


def _fail(exc: Exception) -> typer.Exit:
    if isinstance(exc, APIError):
        err.print(f"[bold red]Error {exc.status}[/] {exc.title}")
        if exc.detail:
            err.print(exc.detail)
        if exc.service:
            err.print(f"(service: {exc.service})")
        for field in exc.problem.get("errors") or []:
            where = ".".join(str(p) for p in field.get("loc", []) if p != "body")
            err.print(f"  - {where}: {field.get('msg')}")
    else:
        err.print(f"[bold red]Error[/] {exc}")
    return typer.Exit(code=1)


def _run(fn: Any) -> Any:
    try:
        return fn()
    except (VTError, OSError, ValueError) as exc:
        raise _fail(exc) from None
    except Exception as exc:  # network errors etc.
        import httpx

        if isinstance(exc, httpx.HTTPError):
            raise _fail(VTError(f"cannot reach {default_api_url()}: {exc}")) from None
        raise


# ------------------------------------------------------------------------------------ account


@app.command()
def register(
    email: Annotated[str, typer.Option(prompt=True, help="Your e-mail address.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."
        ),
    ],
) -> None:
    """Create an account (then `vt login`)."""
    with _client(require_login=False) as client:
        user = _run(lambda: client.register(email, password))
    console.print(f"Registered [bold]{user.email}[/]. Now run [bold]vt login[/].")


@app.command()
def login(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Log in and store the tokens in ~/.config/vibetrading/credentials.json (0600)."""
    url = default_api_url()
    with VTClient(url) as client:
        tokens = _run(lambda: client.login(email, password))
    path = credentials.save(
        credentials.Credentials(
            api_url=url,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            email=email,
        )
    )
    console.print(f"Logged in as [bold]{email}[/] at {url} (credentials in {path}).")


@app.command()
def logout() -> None:
    """Revoke the stored tokens and forget them."""
    saved = credentials.load(default_api_url())
    if saved is not None:
        client = VTClient(
            saved.api_url, token=saved.access_token, refresh_token=saved.refresh_token
        )
        # already expired or revoked: forgetting them is what matters
        with client, contextlib.suppress(APIError):
            client.logout()
    credentials.clear()
    console.print("Logged out.")


@app.command()
def whoami() -> None:
    """Show the logged-in account."""
    with _client() as client:
        user = _run(client.me)
    console.print(f"{user.email} ({user.role}) id={user.id}")


# ------------------------------------------------------------------------------------ tokens


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What it is for, e.g. claude-desktop.")],
    scope: Annotated[
        list[str],
        typer.Option(
            help="read (strategies, backtests, market data, paper deployments), backtest (chat "
            "and run backtests), paper (deploy to paper). Repeat for several.",
        ),
    ],
) -> None:
    """Create a token and print it once (set it as VT_TOKEN). Needs `vt login`; no scope reaches
    live trading, broker accounts or credentials."""
    with _client() as client:
        created = _run(lambda: client.create_token(name, scope))
    err.print(
        f"Token [bold]{created.name}[/] ({', '.join(created.scopes)}), id {created.id}. "
        "Store it now, it is not shown again:"
    )
    print(created.token)  # stdout alone, for `export VT_TOKEN=$(vt token create ...)`


@token_app.command("list")
def token_list() -> None:
    """Your active tokens (their first characters only)."""
    with _client() as client:
        found = _run(client.tokens)
    for t in found:  # one line each: ids stay whole for `vt token revoke`
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
        created = t.created_at.isoformat(timespec="seconds") if t.created_at else ""
        console.print(
            f"{t.id}  {t.name}  {','.join(t.scopes)}  {t.prefix}…  created {created}  "
            f"last used {used}",
            soft_wrap=True,
            highlight=False,
        )
    if not found:
        console.print("No active tokens: `vt token create --name NAME --scope read`.")


@token_app.command("revoke")
def token_revoke(token_id: str) -> None:
    """Revoke a token at once (the next request with it is refused)."""
    with _client() as client:
        _run(lambda: client.revoke_token(token_id))
    console.print(f"Revoked {token_id}.")


# ------------------------------------------------------------------------------------ chat


@app.command()
def chat(
    message: Annotated[str, typer.Argument(help="What you want, in plain language.")],
    conversation: Annotated[
        str | None, typer.Option("--conversation", "-c", help="Continue this conversation id.")
    ] = None,
    stream: Annotated[bool, typer.Option(help="Stream the reply as it is written.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole reply as JSON.")] = False,
) -> None:
    """Chat a strategy: prints the reply, the strategy id and any question asked back."""
    with _client() as client:
        if stream and not as_json:
            result: dict[str, Any] | None = None

            def consume() -> None:
                nonlocal result
                for event in client.chat_stream(message, conversation):
                    if event.event == "token":
                        console.print(event.data.get("text", ""), end="", soft_wrap=True)
                    elif event.event == "result":
                        result = event.data
                    elif event.event == "error":
                        raise APIError(int(event.data.get("status", 502)), event.data)

            _run(consume)
            console.print()
            if result is None:
                raise _fail(VTError("the stream ended without a result"))
            reply = result
        else:
            reply = _run(lambda: client.chat(message, conversation)).model_dump(mode="json")
            if as_json:
                console.print_json(json.dumps(reply))
                return
            console.print(reply["reply"])
    if reply.get("clarification"):
        console.print(f"[bold yellow]Question:[/] {reply['clarification']}")
    for warning in reply.get("warnings") or []:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"conversation: {reply['conversation_id']}")
    if reply.get("strategy_id"):
        console.print(f"strategy: [bold]{reply['strategy_id']}[/] (version {reply.get('version')})")


# ------------------------------------------------------------------------------------ strategies


@strategies_app.command("list")
def strategies_list(
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
) -> None:
    """List your strategies, newest first."""
    with _client() as client:
        page = _run(lambda: client.strategies(limit=limit, cursor=cursor))
    table = Table("id", "name", "version", "updated")
    for item in page.items:
        table.add_row(
            str(item.get("id")),
            str(item.get("name") or ""),
            str(item.get("current_version") or ""),
            str(item.get("updated_at") or ""),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}")


@strategies_app.command("show")
def strategies_show(strategy_id: str) -> None:
    """Show one strategy with its spec (JSON)."""
    with _client() as client:
        strategy = _run(lambda: client.strategy(strategy_id))
    console.print(f"[bold]{strategy.name}[/] v{strategy.current_version} ({strategy.id})")
    console.print_json(json.dumps(strategy.spec))


# ------------------------------------------------------------------------------------ backtests


def _parse_params(values: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--param takes key=value, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


@backtest_app.command("run")
def backtest_run(
    strategy_id: Annotated[str | None, typer.Option(help="A saved strategy.")] = None,
    spec_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A StrategySpec JSON file.")
    ] = None,
    code_file: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="Python defining generate_signals(data, params)."
        ),
    ] = None,
    symbol: Annotated[
        list[str] | None,
        typer.Option("--symbol", "-s", help="With --code-file: a symbol (repeatable)."),
    ] = None,
    timeframe: Annotated[
        str | None, typer.Option(help="With --code-file: 1m..1w (default 1d).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="With --code-file: YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="With --code-file: YYYY-MM-DD.")] = None,
    capital: Annotated[
        float | None, typer.Option(help="With --code-file: initial capital.")
    ] = None,
    commission: Annotated[
        float | None,
        typer.Option(help="With --code-file: fraction of traded value (0.001 = 0.1%)."),
    ] = None,
    slippage: Annotated[
        float | None, typer.Option(help="With --code-file: fraction of price.")
    ] = None,
    fill: Annotated[
        str | None, typer.Option(help="With --code-file: next_open (default) or close.")
    ] = None,
    size: Annotated[
        float | None, typer.Option(help="With --code-file: fraction of equity per entry.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="With --code-file: key=value (JSON values allowed)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option(help="Follow the run with a progress bar and print the summary.")
    ] = True,
) -> None:
    """Start a backtest of a saved strategy, a spec file or a code file."""
    chosen = [x for x in (strategy_id, spec_file, code_file) if x is not None]
    if len(chosen) != 1:
        raise _fail(VTError("give exactly one of --strategy-id, --spec-file or --code-file"))
    kwargs: dict[str, Any] = {}
    if strategy_id:
        kwargs["strategy_id"] = strategy_id
    elif spec_file:
        try:
            kwargs["spec"] = StrategySpec.model_validate_json(spec_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise _fail(VTError(f"{spec_file} is not a valid StrategySpec: {exc}")) from None
    else:
        assert code_file is not None
        kwargs.update(
            code=code_file.read_text(encoding="utf-8"),
            symbols=symbol or None,
            timeframe=timeframe,
            start=start,
            end=end,
            initial_capital=capital,
            commission=commission,
            slippage=slippage,
            fill=fill,
            size=size,
            params=_parse_params(param or []) or None,
        )
    with _client() as client:
        run_id = _run(lambda: client.run_backtest(**kwargs))
        console.print(f"backtest [bold]{run_id}[/] queued")
        if not wait:
            return
        run = _follow(client, run_id)
    _print_outcome(run)


def _follow(client: VTClient, run_id: str) -> BacktestRun:
    with Progress(
        TextColumn("[bold]{task.fields[status]}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("backtest", total=1.0, status="queued")

        def update(run: BacktestRun) -> None:
            progress.update(task, completed=run.progress, status=run.status)

        run: BacktestRun = _run(
            lambda: client.wait_for_backtest(run_id, poll_seconds=0.3, on_progress=update)
        )
    return run


def _print_outcome(run: BacktestRun) -> None:
    if run.status == "cancelled":
        err.print(f"[bold yellow]backtest {run.id} was cancelled[/]: it has no results")
        raise typer.Exit(code=2)
    if run.status == "failed":
        problem = run.error
        err.print(f"[bold red]backtest failed[/]: {problem.title if problem else ''}")
        if problem and problem.detail:
            err.print(problem.detail)
        raise typer.Exit(code=2)
    _summary_table(run)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


def _summary_table(run: BacktestRun) -> None:
    if run.result is None:
        console.print(f"backtest {run.id} is {run.status} ({run.progress:.0%})")
        return
    stats = run.result.summary_stats.model_dump()
    table = Table(title=f"Backtest {run.id}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    headline = [
        "final_equity",
        "total_return_pct",
        "cagr_pct",
        "sharpe_ratio",
        "sortino_ratio",
        "max_drawdown_pct",
        "trade_count",
        "win_rate_pct",
        "profit_factor",
        "total_fees",
        "exposure_pct",
    ]
    for key in headline:
        if key in stats:
            table.add_row(key, _fmt(stats[key]))
    console.print(table)
    for warning in run.result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


@backtest_app.command("status")
def backtest_status(run_id: str) -> None:
    """Status and progress of a run."""
    with _client() as client:
        run = _run(lambda: client.backtest(run_id))
    console.print(f"{run.id}: [bold]{run.status}[/] {run.progress:.0%}")
    if run.error is not None:
        console.print(f"error: {run.error.title}: {run.error.detail or ''}")


@backtest_app.command("cancel")
def backtest_cancel(run_id: str) -> None:
    """Cancel a queued or running run (a finished one cannot be cancelled)."""
    with _client() as client:
        run = _run(lambda: client.cancel_backtest(run_id))
    console.print(f"{run.id}: [bold]{run.status}[/]")


@backtest_app.command("results")
def backtest_results(
    run_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run as JSON.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait for a running backtest to finish.")] = False,
) -> None:
    """The summary statistics of a finished run, as a table."""
    with _client() as client:
        run = _follow(client, run_id) if wait else _run(lambda: client.backtest(run_id))
    if as_json:
        sys.stdout.write(run.model_dump_json(indent=2) + "\n")
        return
    if run.status not in FINISHED:
        console.print(f"backtest {run.id} is still {run.status} ({run.progress:.0%}); use --wait")
        raise typer.Exit(code=3)
    _print_outcome(run)


@backtest_app.command("list")
def backtest_list(limit: Annotated[int, typer.Option(min=1, max=100)] = 20) -> None:
    """Your recent runs."""
    with _client() as client:
        runs = _run(lambda: client.backtests(limit=limit))
    table = Table("id", "status", "progress", "strategy")
    for run in runs:
        table.add_row(run.id, run.status, _fmt(run.progress), run.strategy_id or "")
    console.print(table)


# the trading commands register themselves on `app` (kept in their own module)
from vt_client import overrides_cli as _overrides_cli  # noqa: E402
from vt_client import trading_cli as _trading_cli  # noqa: E402

__all__ = ["_overrides_cli", "_trading_cli", "app"]

if __name__ == "__main__":
    app()
