"""`vt overrides show|set`: risk overrides (close-only, reduce-only, no-trading) at account,
deployment and instrument level, and the instrument allow-list of an account."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from vt_client.cli import _client, _fail, _run, app, console
from vt_client.errors import VTError
from vt_client.trading_cli import AccountOption, JsonOption, _print_json
from vt_contracts.trading import RiskOverrides

overrides_app = typer.Typer(
    help="Risk overrides and the instrument allow-list the risk gate applies.",
    no_args_is_help=True,
)
app.add_typer(overrides_app, name="overrides")

MODES = ("close_only", "reduce_only", "no_trading")
DeploymentOption = Annotated[
    str | None, typer.Option("--deployment", help="A deployment id: its own override.")
]


def _mode(value: str | None) -> str | None:
    if value is None or value in ("none", "clear"):
        return None
    if value not in MODES:
        raise _fail(VTError(f"--mode takes {', '.join(MODES)} or none, got {value!r}"))
    return value


def _instruments(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        symbol, sep, mode = item.partition("=")
        if not sep or not symbol or _mode(mode) is None:
            raise _fail(
                VTError(
                    f"--instrument takes SYMBOL=mode (e.g. SAMPLE:AAPL=close_only), got {item!r}"
                )
            )
        out[symbol] = mode
    return out


def _account_id(client: Any, account_id: str | None) -> str:
    if account_id is not None:
        return account_id
    found: str = _run(lambda: client.risk(None)).account_id
    return found


def _show(o: RiskOverrides) -> None:
    table = Table(title=f"Overrides of account {o.account_id}")
    for column in ("level", "target", "mode", "reason", "set by", "set at"):
        table.add_column(column)
    for item in o.items:
        table.add_row(
            item.level,
            item.target or "—",
            item.mode,
            item.reason,
            item.set_by,
            item.set_at.isoformat(timespec="seconds"),
        )
    console.print(table)
    allowed = "every instrument" if o.allow_list is None else ", ".join(o.allow_list) or "none"
    console.print(f"allow-list: {allowed}")


@overrides_app.command("show")
def show(
    account_id: AccountOption = None,
    deployment: DeploymentOption = None,
    as_json: JsonOption = False,
) -> None:
    """An account's overrides and allow-list (or one deployment's override)."""
    with _client() as client:
        if deployment is not None:
            one = _run(lambda: client.deployment_override(deployment))
            if as_json:
                _print_json(one.model_dump(mode="json"))
            else:
                console.print(f"deployment {one.deployment_id}: {one.mode or 'no override'}")
            return
        chosen = _account_id(client, account_id)
        found = _run(lambda: client.overrides(chosen))
    if as_json:
        _print_json(found.model_dump(mode="json"))
    else:
        _show(found)


@overrides_app.command("set")
def set_overrides(
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    account_id: AccountOption = None,
    deployment: DeploymentOption = None,
    mode: Annotated[
        str | None,
        typer.Option(help="close_only, reduce_only, no_trading, or none (clears it)."),
    ] = None,
    instrument: Annotated[
        list[str] | None,
        typer.Option(help="SYMBOL=mode, per traded symbol (repeatable)."),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(help="Only these symbols may take new risk (repeatable)."),
    ] = None,
    allow_all: Annotated[
        bool, typer.Option("--allow-all", help="No allow-list: every instrument allowed.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Replace an account's overrides and allow-list (what you leave out is cleared), or with
    --deployment set one deployment's override."""
    with _client() as client:
        if deployment is not None:
            one = _run(lambda: client.set_deployment_override(deployment, _mode(mode), reason))
            console.print(f"deployment {one.deployment_id}: {one.mode or 'no override'}")
            return
        if allow and allow_all:
            raise _fail(VTError("give either --allow SYMBOL ... or --allow-all, not both"))
        chosen = _account_id(client, account_id)
        body = {
            "account": _mode(mode),
            "instruments": _instruments(instrument or []),
            "allow_list": None if allow_all or not allow else list(allow),
            "reason": reason,
        }
        found = _run(lambda: client.set_overrides(chosen, body))
    if as_json:
        _print_json(found.model_dump(mode="json"))
    else:
        _show(found)
