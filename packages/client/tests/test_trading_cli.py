"""The `vt` trading commands and the client's trading methods against the real gateway and the
REAL trading service (paper and live, served on loopback ports; see vt_gateway.testing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vt_client import APIError, VTClient
from vt_client.cli import app
from vt_gateway.testing import PASSWORD, trading_apps

runner = CliRunner()


@pytest.fixture(autouse=True)
def _needs_trading(redis_url: str) -> None:
    if len(trading_apps(redis_url)) != 2:
        pytest.skip("the trading service does not serve its documented routes yet")


def _login(email: str) -> None:
    assert runner.invoke(app, ["register", "--email", email, "--password", PASSWORD]).exit_code == 0
    r = runner.invoke(app, ["login", "--email", email, "--password", PASSWORD])
    assert r.exit_code == 0, r.output


def test_config_file_and_missing_fields(
    cli_env: dict[str, str], email: str, tmp_path: Path
) -> None:
    _login(email)
    r = runner.invoke(app, ["deploy", "--capital", "1000"])
    assert r.exit_code == 1
    assert "--strategy-id" in r.output
    assert "--backtest-id" in r.output
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2")
    r = runner.invoke(app, ["deploy", "--config", str(broken)])
    assert r.exit_code == 1
    assert "not a JSON file" in r.output
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    r = runner.invoke(app, ["status", "--config", str(listed)])
    assert r.exit_code == 1
    assert "JSON object" in r.output
    # a complete config reaches the service, which refuses a strategy that does not exist
    config = tmp_path / "deploy.json"
    config.write_text(
        json.dumps(
            {
                "strategy_id": "00000000-0000-0000-0000-000000000000",
                "backtest_id": "00000000-0000-0000-0000-000000000001",
                "mode": "paper",
                "capital": 10000,
                "replay": {"start": "2005-01-01", "end": "2006-01-01", "bars_per_second": 50},
            }
        )
    )
    r = runner.invoke(app, ["deploy", "--config", str(config)])
    assert r.exit_code == 1
    assert "Error 4" in r.output or "Error 5" in r.output
    bad_mode = tmp_path / "bad-mode.json"
    bad_mode.write_text(json.dumps({"mode": "moon"}))
    r = runner.invoke(app, ["trade", "start", "--config", str(bad_mode)])
    assert r.exit_code == 1
    assert "mode must be paper or live" in r.output


def test_status_kill_rearm_and_empty_views(cli_env: dict[str, str], email: str) -> None:
    _login(email)
    with VTClient(cli_env["VT_API_URL"]) as client:
        client.login(email, PASSWORD)
        account = client.create_account({"name": "cli-paper", "starting_cash": "50000"})
    aid = account.id
    r = runner.invoke(app, ["status", "--account-id", aid])
    assert r.exit_code == 0, r.output
    assert "active" in r.output
    r = runner.invoke(app, ["kill", "--reason", "cli test of the switch", "--account-id", aid])
    assert r.exit_code == 0, r.output
    assert "killed" in r.output
    r = runner.invoke(app, ["status", "--account-id", aid, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["risk"]["state"] == "killed"
    r = runner.invoke(app, ["rearm", "--reason", "x", "--account-id", aid])
    assert r.exit_code == 1  # a reason needs at least 3 characters: the problem says so
    assert "reason" in r.output
    r = runner.invoke(app, ["rearm", "--reason", "safe again", "--account-id", aid])
    assert r.exit_code == 0, r.output
    assert "killed" not in r.output
    r = runner.invoke(app, ["positions", "--account-id", aid, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == []
    r = runner.invoke(app, ["performance", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == []
    r = runner.invoke(app, ["trade", "stop", "--mode", "paper"])
    assert r.exit_code == 0, r.output
    assert "no paper deployment to pause" in r.output
    r = runner.invoke(app, ["trade", "start", "--mode", "live"])
    assert r.exit_code == 0, r.output
    assert "no paused live deployment" in r.output
    r = runner.invoke(app, ["orders"])
    assert r.exit_code == 1
    assert "vt deploy" in r.output


def test_client_trading_methods(api_url: str, email: str) -> None:
    with VTClient(api_url) as client:
        client.register(email, PASSWORD)
        client.login(email, PASSWORD)
        paper = client.create_account({"name": "p"})
        live = client.create_account(
            {
                "name": "l",
                "environment": "live",
                "venue": "ibkr",
                "credentials": {"account_id": "DU000000"},
            }
        )
        envs = {a.id: a.environment for a in client.accounts().items}
        assert envs[paper.id] == "paper"
        assert envs[live.id] == "live"
        assert client.risk(live.id).environment == "live"
        assert client.trading_exceptions(account_id=paper.id).items == []
        assert client.deployments().items == []
        with pytest.raises(APIError) as missing:
            client.deployment("does-not-exist")
        assert missing.value.status == 404


def test_accounts_and_limits(cli_env: dict[str, str], email: str, tmp_path: Path) -> None:
    _login(email)
    r = runner.invoke(
        app,
        [
            "account",
            "create",
            "--name",
            "parity",
            "--starting-cash",
            "25000",
            "--set",
            "max_position_pct=100",
        ],
    )
    assert r.exit_code == 0, r.output
    aid = r.output.split("account ")[1].split()[0]
    r = runner.invoke(app, ["account", "limits", "--account-id", aid, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["max_position_pct"] == 100
    r = runner.invoke(
        app,
        ["account", "limits", "--account-id", aid, "--set", "max_gross_exposure_pct=250", "--json"],
    )
    assert r.exit_code == 0, r.output
    limits = json.loads(r.output)
    assert limits["max_gross_exposure_pct"] == 250
    assert limits["max_position_pct"] == 100  # the others keep their values
    config = tmp_path / "limits.json"
    config.write_text(json.dumps({"account_id": aid, "risk_limits": {"daily_loss_limit_pct": 50}}))
    r = runner.invoke(app, ["account", "limits", "--config", str(config), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["daily_loss_limit_pct"] == 50
    r = runner.invoke(
        app, ["account", "limits", "--account-id", aid, "--set", "max_position_pct=-1"]
    )
    assert r.exit_code == 1
    assert "max_position_pct" in r.output
    r = runner.invoke(app, ["account", "list"])
    assert r.exit_code == 0, r.output
    assert "parity" in r.output


def test_overrides_show_and_set(cli_env: dict[str, str], email: str) -> None:
    _login(email)
    r = runner.invoke(
        app,
        [
            "overrides",
            "set",
            "--reason",
            "earnings week",
            "--mode",
            "close_only",
            "--instrument",
            "SAMPLE:MSFT=no_trading",
            "--allow",
            "SAMPLE:AAPL",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["account"] == "close_only"
    assert got["instruments"] == {"SAMPLE:MSFT": "no_trading"}
    assert got["allow_list"] == ["SAMPLE:AAPL"]
    r = runner.invoke(app, ["overrides", "show"])
    assert r.exit_code == 0, r.output
    assert "allow-list: SAMPLE:AAPL" in r.output
    r = runner.invoke(app, ["overrides", "show", "--json"])
    assert {i["reason"] for i in json.loads(r.output)["items"]} == {"earnings week"}
    r = runner.invoke(app, ["overrides", "set", "--reason", "over", "--allow-all", "--json"])
    assert json.loads(r.output)["allow_list"] is None
    assert json.loads(r.output)["account"] is None
    r = runner.invoke(app, ["overrides", "set", "--reason", "bad", "--mode", "sell_only"])
    assert r.exit_code == 1
    assert "close_only" in r.output
    r = runner.invoke(
        app,
        ["overrides", "show", "--deployment", "00000000-0000-0000-0000-000000000009"],
    )
    assert r.exit_code == 1
    assert "not found" in r.output
