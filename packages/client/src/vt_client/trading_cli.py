"""`vt` trading commands (the IBKR seed's CLI): deploy, trade start|stop, status, positions,
orders, performance, kill, rearm.

Every command takes `--config FILE.json` (or VT_TRADING_CONFIG): a JSON object with the fields
of a deployment (`strategy_id`, `backtest_id`, `mode`, `capital`, `replay`, ...) and `account_id`;
command-line options override it.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from vt_client.cli import _client, _fail, _run, app, console
from vt_client.client import VTClient
from vt_client.errors import VTError
from vt_contracts.trading import Deployment, DeploymentCreate

account_app = typer.Typer(help="Your broker accounts and their risk limits.", no_args_is_help=True)
app.add_typer(account_app, name="account")
trade_app = typer.Typer(
    help="Start (resume) or stop (pause) trading in one environment.", no_args_is_help=True
)
app.add_typer(trade_app, name="trade")

Mode = Literal["paper", "live"]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="VT_TRADING_CONFIG",
        exists=True,
        dir_okay=False,
        help="JSON file with deployment fields (strategy_id, backtest_id, mode, capital, replay, "
        "account_id, ...); options given on the command line win.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AccountOption = Annotated[
    str | None, typer.Option(help="Broker account id (default: your paper account).")
]


def load_config(path: Path | None) -> dict[str, Any]:
    """The JSON config file as a dict (empty without one); a clear error when it is not valid."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(VTError(f"{path} is not a JSON file: {exc}")) from None
    if not isinstance(data, dict):
        raise _fail(VTError(f"{path} must hold a JSON object (the deployment's fields)"))
    return data


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _money(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)):,.2f}"


def _qty(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():f}"


def _deployments_table(deployments: list[Deployment], title: str = "Deployments") -> Table:
    table = Table(title=title)
    table.add_column("id", overflow="fold")  # folded, never cut: ids are what you type next
    for column in ("mode", "status", "risk", "symbols", "capital", "last bar", "replay"):
        table.add_column(column, overflow="fold")
    for d in deployments:
        replay = ""
        if d.replay is not None:
            replay = f"replay {d.replay.bars_done}/{d.replay.bars_total}" + (
                " done" if d.replay.finished else ""
            )
        table.add_row(
            d.id,
            d.environment + (" (dry run)" if d.dry_run else ""),
            d.status,
            d.risk_state,
            ", ".join(d.symbols),
            _money(d.capital),
            d.last_bar_at.date().isoformat() if d.last_bar_at else "—",
            replay,
        )
    return table


# ------------------------------------------------------------------------------------ deploy


@app.command()
def deploy(
    config: ConfigOption = None,
    strategy_id: Annotated[str | None, typer.Option(help="A saved strategy.")] = None,
    version: Annotated[
        int | None, typer.Option(min=1, help="Strategy version (latest if omitted).")
    ] = None,
    backtest_id: Annotated[
        str | None, typer.Option(help="The succeeded backtest run that qualifies it.")
    ] = None,
    mode: Annotated[Mode | None, typer.Option(help="paper (default) or live.")] = None,
    capital: Annotated[float | None, typer.Option(help="Capital allocated.")] = None,
    account_id: AccountOption = None,
    dry_run: Annotated[
        bool | None, typer.Option("--dry-run/--no-dry-run", help="Everything but the submission.")
    ] = None,
    acknowledge_failed_gates: Annotated[
        bool | None,
        typer.Option(
            "--acknowledge-failed-gates",
            help="Paper only: deploy although the promotion gates fail (recorded).",
        ),
    ] = None,
    replay_start: Annotated[
        str | None, typer.Option(help="Replay historical bars from YYYY-MM-DD (offline).")
    ] = None,
    replay_end: Annotated[str | None, typer.Option(help="Replay until YYYY-MM-DD.")] = None,
    bars_per_second: Annotated[
        float | None, typer.Option(help="Replay speed (the result does not depend on it).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Deploy a backtested strategy version to paper (or live) trading."""
    fields = load_config(config)
    given: dict[str, Any] = {
        "strategy_id": strategy_id,
        "version": version,
        "backtest_id": backtest_id,
        "mode": mode,
        "capital": capital,
        "account_id": account_id,
        "dry_run": dry_run,
        "acknowledge_failed_gates": acknowledge_failed_gates,
    }
    fields.update({k: v for k, v in given.items() if v is not None})
    if replay_start or replay_end or bars_per_second:
        replay = dict(fields.get("replay") or {})
        for key, value in (
            ("start", replay_start),
            ("end", replay_end),
            ("bars_per_second", bars_per_second),
        ):
            if value is not None:
                replay[key] = value
        fields["replay"] = replay
    missing = [k for k in ("strategy_id", "backtest_id", "capital") if k not in fields]
    if missing:
        raise _fail(
            VTError(
                "give "
                + ", ".join(f"--{m.replace('_', '-')}" for m in missing)
                + " (or put them in the --config JSON file)"
            )
        )
    try:
        body = DeploymentCreate.model_validate(fields)
    except ValueError as exc:
        raise _fail(VTError(f"the deployment is not valid: {exc}")) from None
    with _client() as client:
        created = _run(lambda: client.deploy(body))
    if as_json:
        _print_json(created.model_dump(mode="json"))
        return
    console.print(
        f"deployment [bold]{created.id}[/] {created.status} ({created.environment}"
        + (", replay" if created.replay else "")
        + (", dry run" if created.dry_run else "")
        + ")"
    )
    gates = created.gates
    if not gates.passed:
        console.print(
            f"[yellow]gates ({gates.profile}) failing, acknowledged:[/] {', '.join(gates.failing)}"
        )
    console.print(f"follow it with: vt status {created.id}")


# ------------------------------------------------------------------------------------ trade


def _mode(given: Mode | None, config: Path | None) -> Mode:
    chosen = given or load_config(config).get("mode") or "paper"
    if chosen not in ("paper", "live"):
        raise _fail(VTError(f"mode must be paper or live, not {chosen!r}"))
    return "live" if chosen == "live" else "paper"


def _targets(
    client: VTClient, mode: Mode, deployment_id: str | None, statuses: tuple[str, ...]
) -> list[Deployment]:
    if deployment_id:
        one: Deployment = _run(lambda: client.deployment(deployment_id))
        if one.environment != mode:
            raise _fail(VTError(f"deployment {deployment_id} trades {one.environment}, not {mode}"))
        return [one]
    found: list[Deployment] = _run(lambda: client.all_deployments(environment=mode))
    return [d for d in found if d.status in statuses]


@trade_app.command("start")
def trade_start(
    mode: Annotated[Mode | None, typer.Option(help="paper (default) or live.")] = None,
    deployment_id: Annotated[
        str | None, typer.Option("--deployment", help="Only this deployment.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Resume trading: every paused deployment of MODE (or one) takes targets again."""
    mode = _mode(mode, config)
    with _client() as client:
        chosen = _targets(client, mode, deployment_id, ("paused",))
        done = [_run(lambda d=d: client.control_deployment(d.id, "resume")) for d in chosen]
    if not done:
        console.print(f"no paused {mode} deployment to start")
        return
    console.print(_deployments_table(done, f"Started ({mode})"))


@trade_app.command("stop")
def trade_stop(
    mode: Annotated[Mode | None, typer.Option(help="paper (default) or live.")] = None,
    deployment_id: Annotated[
        str | None, typer.Option("--deployment", help="Only this deployment.")
    ] = None,
    final: Annotated[
        bool,
        typer.Option("--final", help="Stop for good (cancels working orders) instead of pausing."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Stop trading: pause every running deployment of MODE (or one); `--final` stops them."""
    mode = _mode(mode, config)
    action: Literal["pause", "stop"] = "stop" if final else "pause"
    with _client() as client:
        chosen = _targets(
            client,
            mode,
            deployment_id,
            ("pending", "running", "paused") if final else ("running", "pending"),
        )
        done = [_run(lambda d=d: client.control_deployment(d.id, action)) for d in chosen]
    if not done:
        console.print(f"no {mode} deployment to {action}")
        return
    console.print(_deployments_table(done, f"{'Stopped' if final else 'Paused'} ({mode})"))


# ------------------------------------------------------------------------------------ monitor


@app.command()
def status(
    deployment_id: Annotated[
        str | None, typer.Argument(help="One deployment (all if omitted).")
    ] = None,
    mode: Annotated[Mode | None, typer.Option(help="Only paper or live.")] = None,
    account_id: AccountOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deployments with their status and risk state, and the account's risk state."""
    cfg = load_config(config)
    account_id = account_id or cfg.get("account_id")
    with _client() as client:
        if deployment_id:
            deployments = [_run(lambda: client.deployment(deployment_id))]
        else:
            deployments = _run(lambda: client.all_deployments(environment=mode))
        risk = _run(lambda: client.risk(account_id))
    if as_json:
        _print_json(
            {
                "deployments": [d.model_dump(mode="json") for d in deployments],
                "risk": risk.model_dump(mode="json"),
            }
        )
        return
    console.print(_deployments_table(deployments))
    console.print(
        f"account {risk.account_id} ({risk.environment}): [bold]{risk.state}[/]"
        + (f" — {risk.reason}" if risk.reason else "")
        + f"; equity {_money(risk.equity)}"
        + (" ; flatten latched" if risk.flatten_latched else "")
    )
    for breaker in risk.breakers:
        if breaker.tripped:
            console.print(f"[red]breaker {breaker.name} tripped[/] at {breaker.threshold_pct}%")


@app.command()
def positions(
    deployment_id: Annotated[
        str | None, typer.Option("--deployment", help="Only this deployment's positions.")
    ] = None,
    account_id: AccountOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open positions: attributed to deployments and the unattributed bucket."""
    account_id = account_id or load_config(config).get("account_id")
    with _client() as client:
        rows = _run(
            lambda: (
                client.deployment_positions(deployment_id)
                if deployment_id
                else client.positions(account_id)
            )
        )
    if as_json:
        _print_json([p.model_dump(mode="json") for p in rows])
        return
    table = Table(title="Positions")
    for column in ("deployment", "symbol", "qty", "avg price", "last", "unrealized", "realized"):
        table.add_column(column)
    for p in rows:
        table.add_row(
            p.deployment_id or "[yellow]unattributed[/]",
            p.symbol,
            _qty(p.qty),
            _money(p.avg_price),
            _money(p.last_price),
            _money(p.unrealized_pnl),
            _money(p.realized_pnl),
        )
    console.print(table)


@app.command()
def orders(
    deployment_id: Annotated[
        str | None, typer.Argument(help="The deployment (your newest if omitted).")
    ] = None,
    fills: Annotated[bool, typer.Option("--fills", help="Show the fills instead.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 50,
    as_json: JsonOption = False,
) -> None:
    """A deployment's orders (or fills), newest first."""
    with _client() as client:
        if deployment_id is None:
            page = _run(lambda: client.deployments(limit=1))
            if not page.items:
                raise _fail(VTError("you have no deployment yet: run `vt deploy` first"))
            deployment_id = page.items[0].id
        chosen = deployment_id
        if fills:
            fill_page = _run(lambda: client.fills(chosen, limit=limit))
            if as_json:
                _print_json([f.model_dump(mode="json") for f in fill_page.items])
                return
            table = Table(title=f"Fills of {chosen}")
            for column in ("ts", "symbol", "side", "qty", "price", "fees", "client order id"):
                table.add_column(column)
            for f in fill_page.items:
                table.add_row(
                    f.ts.isoformat(),
                    f.symbol,
                    f.side,
                    _qty(f.qty),
                    f"{f.price:f}",
                    f"{f.fees:f}",
                    f.client_order_id,
                )
            console.print(table)
            return
        order_page = _run(lambda: client.orders(chosen, limit=limit))
    if as_json:
        _print_json([o.model_dump(mode="json") for o in order_page.items])
        return
    table = Table(title=f"Orders of {chosen}")
    for column in (
        "created",
        "symbol",
        "side",
        "type",
        "qty",
        "filled",
        "avg price",
        "state",
        "reason",
    ):
        table.add_column(column)
    for o in order_page.items:
        table.add_row(
            o.created_at.isoformat(),
            o.symbol,
            o.side,
            o.type,
            _qty(o.qty),
            _qty(o.filled_qty),
            "—" if o.avg_fill_price is None else f"{o.avg_fill_price:f}",
            o.state + (" (dry run)" if o.dry_run else ""),
            o.reason,
        )
    console.print(table)


@app.command()
def performance(
    deployment_id: Annotated[
        str | None, typer.Argument(help="One deployment (all if omitted).")
    ] = None,
    mode: Annotated[Mode | None, typer.Option(help="Only paper or live.")] = None,
    as_json: JsonOption = False,
) -> None:
    """P&L per deployment: equity, realized and unrealized P&L, fees, return."""
    with _client() as client:
        ids = (
            [deployment_id]
            if deployment_id
            else [d.id for d in _run(lambda: client.all_deployments(environment=mode))]
        )
        results = [_run(lambda i=i: client.pnl(i)) for i in ids]
    if as_json:
        _print_json([r.model_dump(mode="json") for r in results])
        return
    table = Table(title="Performance")
    for column in ("deployment", "capital", "equity", "realized", "unrealized", "fees", "return"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.deployment_id,
            _money(r.capital),
            _money(r.equity),
            _money(r.realized_pnl),
            _money(r.unrealized_pnl),
            _money(r.fees),
            f"{r.total_return_pct:.2f}%",
        )
    console.print(table)


# ------------------------------------------------------------------------------------ safety


@app.command()
def kill(
    reason: Annotated[str, typer.Option(help="Why (audited; at least 3 characters).")],
    account_id: AccountOption = None,
    config: ConfigOption = None,
) -> None:
    """Kill switch: cancel every working order, flatten every position, hold the account killed."""
    account_id = account_id or load_config(config).get("account_id")
    with _client() as client:
        result = _run(lambda: client.kill(reason, account_id))
    flatten = len(result.flatten_orders)
    console.print(
        f"account {result.account_id} is [bold red]{result.state}[/]: working orders cancelled, "
        f"{flatten} flatten order{'s' if flatten != 1 else ''} submitted. "
        "Only `vt rearm --reason ...` lifts it."
    )


@app.command()
def rearm(
    reason: Annotated[str, typer.Option(help="Why it is safe again (audited).")],
    account_id: AccountOption = None,
    config: ConfigOption = None,
) -> None:
    """Re-arm a killed or halted account (with a reason)."""
    account_id = account_id or load_config(config).get("account_id")
    with _client() as client:
        state = _run(lambda: client.rearm(reason, account_id))
    console.print(f"account {state.account_id} ({state.environment}) is [bold]{state.state}[/]")


# ------------------------------------------------------------------------------------ accounts


def _limit_changes(values: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise _fail(VTError(f"--set takes name=value (e.g. max_position_pct=10), got {item!r}"))
        try:
            changes[key.strip()] = json.loads(raw)
        except ValueError:
            changes[key.strip()] = raw
    return changes


@account_app.command("list")
def account_list(as_json: JsonOption = False) -> None:
    """Your broker accounts, paper and live."""
    with _client() as client:
        page = _run(client.accounts)
    if as_json:
        _print_json([a.model_dump(mode="json") for a in page.items])
        return
    table = Table(title="Broker accounts")
    for column in ("id", "name", "venue", "environment", "currency", "credentials"):
        table.add_column(column)
    for a in page.items:
        table.add_row(
            a.id,
            a.name,
            a.venue,
            a.environment,
            a.base_currency,
            "yes" if a.has_credentials else "—",
        )
    console.print(table)
    for missing in page.unavailable:
        console.print(f"[yellow]the {missing} trading service did not answer[/]")


@account_app.command("create")
def account_create(
    name: Annotated[str, typer.Option(help="A name you will recognise.")],
    environment: Annotated[Mode, typer.Option(help="paper (default) or live.")] = "paper",
    venue: Annotated[str, typer.Option(help="paper, ibkr or ccxt:<exchange>.")] = "paper",
    starting_cash: Annotated[
        float | None, typer.Option(help="Paper venue: the simulated cash.")
    ] = None,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="A risk limit, name=value (repeatable; see `vt account limits`)."
        ),
    ] = None,
) -> None:
    """Add a broker account (paper needs no credentials)."""
    body: dict[str, Any] = {"name": name, "environment": environment, "venue": venue}
    if starting_cash is not None:
        body["starting_cash"] = str(starting_cash)
    if limit:
        body["risk_limits"] = _limit_changes(limit)
    with _client() as client:
        created = _run(lambda: client.create_account(body))
    console.print(f"account [bold]{created.id}[/] ({created.venue}, {created.environment})")


@account_app.command("limits")
def account_limits(
    account_id: AccountOption = None,
    limit: Annotated[
        list[str] | None,
        typer.Option("--set", help="Change a limit, name=value (repeatable)."),
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an account's risk limits and breaker thresholds, or change some with --set
    (the others keep their values); the JSON config's `risk_limits` object works too."""
    cfg = load_config(config)
    account_id = account_id or cfg.get("account_id")
    changes = dict(cfg.get("risk_limits") or {})
    changes.update(_limit_changes(limit or []))
    with _client() as client:
        if account_id is None:
            account_id = _run(lambda: client.risk(None)).account_id
        chosen = account_id
        account = _run(lambda: client.account(chosen))
        if changes:
            merged = {**account.risk_limits.model_dump(mode="json"), **changes}
            account = _run(lambda: client.set_risk_limits(chosen, merged))
    limits = account.risk_limits.model_dump(mode="json")
    if as_json:
        _print_json(limits)
        return
    table = Table(title=f"Risk limits of {account.name} ({account.id})")
    table.add_column("limit")
    table.add_column("value", justify="right")
    for key, value in limits.items():
        table.add_row(key, "—" if value is None else str(value))
    console.print(table)
