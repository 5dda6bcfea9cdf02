"""The `vt` command-line tool against the real gateway (typer's CliRunner)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from typer.testing import CliRunner

from vt_client.cli import app
from vt_gateway.stubs import SMA_CROSS
from vt_gateway.testing import PASSWORD

runner = CliRunner()
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _login(email: str) -> None:
    r = runner.invoke(app, ["register", "--email", email, "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["login", "--email", email, "--password", PASSWORD])
    assert r.exit_code == 0, r.output


def test_login_stores_private_credentials(cli_env: dict[str, str], email: str) -> None:
    _login(email)
    path = Path(cli_env["VT_CREDENTIALS_FILE"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["api_url"] == cli_env["VT_API_URL"]
    assert saved["access_token"]
    assert saved["refresh_token"]
    r = runner.invoke(app, ["whoami"])
    assert r.exit_code == 0
    assert email in r.output
    r = runner.invoke(app, ["logout"])
    assert r.exit_code == 0
    assert not path.exists()
    r = runner.invoke(app, ["whoami"])
    assert r.exit_code == 1
    assert "vt login" in r.output


def test_vt_token_env(cli_env: dict[str, str], email: str, monkeypatch: object) -> None:
    _login(email)
    token = json.loads(Path(cli_env["VT_CREDENTIALS_FILE"]).read_text())["access_token"]
    os.remove(cli_env["VT_CREDENTIALS_FILE"])
    r = runner.invoke(app, ["whoami"], env={"VT_TOKEN": token})
    assert r.exit_code == 0, r.output
    assert email in r.output


def test_chat_strategies_and_backtests(cli_env: dict[str, str], email: str, tmp_path: Path) -> None:
    _login(email)
    r = runner.invoke(app, ["chat", "Buy SPY when the 20 day SMA crosses above the 50 day"])
    assert r.exit_code == 0, r.output
    strategy_id = re.search(rf"strategy: ({UUID})", r.output)
    assert strategy_id, r.output
    sid = strategy_id.group(1)
    r = runner.invoke(app, ["chat", "--no-stream", "Make money?"])
    assert "Question:" in r.output
    r = runner.invoke(app, ["chat", "--json", "Buy SPY on a golden cross"])
    assert json.loads(r.output)["spec"]["name"]

    r = runner.invoke(app, ["strategies", "list"])
    assert r.exit_code == 0
    assert sid[:8] in r.output
    r = runner.invoke(app, ["strategies", "show", sid])
    assert r.exit_code == 0
    assert '"universe"' in r.output

    r = runner.invoke(app, ["backtest", "run", "--strategy-id", sid])
    assert r.exit_code == 0, r.output
    run_id = re.search(rf"backtest ({UUID}) queued", r.output)
    assert run_id
    for metric in (
        "final_equity",
        "total_return_pct",
        "sharpe_ratio",
        "max_drawdown_pct",
        "trade_count",
    ):
        assert metric in r.output
    rid = run_id.group(1)
    r = runner.invoke(app, ["backtest", "status", rid])
    assert "succeeded" in r.output
    r = runner.invoke(app, ["backtest", "results", rid])
    assert r.exit_code == 0
    assert "final_equity" in r.output
    r = runner.invoke(app, ["backtest", "results", rid, "--json"])
    assert json.loads(r.output)["result"]["summary_stats"]["trade_count"] == 1
    r = runner.invoke(app, ["backtest", "list"])
    assert rid[:8] in r.output

    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SMA_CROSS))
    r = runner.invoke(app, ["backtest", "run", "--spec-file", str(spec_file), "--no-wait"])
    assert r.exit_code == 0
    assert "queued" in r.output
    rid2 = re.search(rf"backtest ({UUID})", r.output)
    assert rid2
    r = runner.invoke(app, ["backtest", "results", rid2.group(1), "--wait"])
    assert r.exit_code == 0, r.output
    assert "final_equity" in r.output
    r = runner.invoke(app, ["backtest", "cancel", rid2.group(1)])  # finished: refused, says why
    assert r.exit_code != 0
    assert "409" in r.output or "already" in r.output, r.output

    never = tmp_path / "never.json"  # the stub backtest service keeps this one queued
    never.write_text(json.dumps({**SMA_CROSS, "name": "never finishes"}))
    r = runner.invoke(app, ["backtest", "run", "--spec-file", str(never), "--no-wait"])
    queued = re.search(rf"backtest ({UUID})", r.output)
    assert queued
    r = runner.invoke(app, ["backtest", "cancel", queued.group(1)])
    assert r.exit_code == 0, r.output
    assert "cancelled" in r.output
    r = runner.invoke(app, ["backtest", "results", queued.group(1)])
    assert r.exit_code == 2
    assert "cancelled" in r.output

    code_file = tmp_path / "strategy.py"
    code_file.write_text(
        "def generate_signals(data, params):\n    return data['close'] > 0, data['close'] < 0\n"
    )
    r = runner.invoke(
        app,
        [
            "backtest",
            "run",
            "--code-file",
            str(code_file),
            "-s",
            "SPY",
            "--capital",
            "5000",
            "--fill",
            "close",
            "-p",
            "n=3",
            "--commission",
            "0.001",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "5,000" in r.output or "5,050" in r.output or "final_equity" in r.output

    failing = tmp_path / "failing.py"
    failing.write_text("def generate_signals(data, params):\n    raise ValueError('boom')\n")
    r = runner.invoke(app, ["backtest", "run", "--code-file", str(failing), "-s", "SPY"])
    assert r.exit_code == 2
    assert "failed" in r.output


def test_cli_errors_are_readable(cli_env: dict[str, str], email: str, tmp_path: Path) -> None:
    _login(email)
    r = runner.invoke(app, ["backtest", "run"])
    assert r.exit_code == 1
    assert "exactly one" in r.output
    code_file = tmp_path / "s.py"
    code_file.write_text("x = 1\n")
    r = runner.invoke(app, ["backtest", "run", "--code-file", str(code_file)])
    assert r.exit_code == 1
    assert "422" in r.output
    assert "symbols" in r.output
    r = runner.invoke(app, ["strategies", "show", "00000000-0000-4000-8000-000000000000"])
    assert r.exit_code == 1
    assert "404" in r.output
    r = runner.invoke(app, ["login", "--email", email, "--password", "wrong password"])
    assert r.exit_code == 1
    assert "401" in r.output


def test_personal_access_tokens(cli_env: dict[str, str], email: str) -> None:
    _login(email)
    r = runner.invoke(
        app, ["token", "create", "--name", "mcp", "--scope", "read", "--scope", "backtest"]
    )
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("vtp_")
    r = runner.invoke(app, ["token", "list"])
    assert r.exit_code == 0, r.output
    assert "mcp" in r.output
    assert "backtest,read" in r.output
    token_id = re.search(UUID, r.output)
    assert token_id
    saved = Path(cli_env["VT_CREDENTIALS_FILE"]).read_text()
    os.rename(cli_env["VT_CREDENTIALS_FILE"], cli_env["VT_CREDENTIALS_FILE"] + ".bak")
    r = runner.invoke(app, ["whoami"], env={"VT_TOKEN": token})
    assert r.exit_code == 0, r.output
    assert email in r.output
    r = runner.invoke(app, ["token", "list"], env={"VT_TOKEN": token})
    assert r.exit_code == 1  # token management needs a password login
    assert "Not allowed with a personal access token" in r.output
    Path(cli_env["VT_CREDENTIALS_FILE"]).write_text(saved)
    r = runner.invoke(app, ["token", "create", "--name", "x", "--scope", "live"])
    assert r.exit_code == 1
    assert "scopes" in r.output  # the API's 422 names the field
    r = runner.invoke(app, ["token", "revoke", token_id.group(0)])
    assert r.exit_code == 0, r.output
    os.remove(cli_env["VT_CREDENTIALS_FILE"])
    r = runner.invoke(app, ["whoami"], env={"VT_TOKEN": token})
    assert r.exit_code == 1
    assert "401" in r.output
