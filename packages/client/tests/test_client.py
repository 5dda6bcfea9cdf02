"""The typed Python client against the real gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from vt_client import APIError, NotLoggedIn, VTClient
from vt_contracts import BacktestRun, StrategySpec
from vt_gateway.stubs import SMA_CROSS
from vt_gateway.testing import PASSWORD


def _logged_in(api_url: str, email: str) -> VTClient:
    client = VTClient(api_url)
    client.register(email, PASSWORD)
    tokens = client.login(email, PASSWORD)
    assert tokens.refresh_token
    return client


def test_full_flow(api_url: str, email: str) -> None:
    with _logged_in(api_url, email) as client:
        assert client.me().email == email
        reply = client.chat("Buy SPY on a 20/50 SMA golden cross")
        assert reply.strategy_id
        StrategySpec.model_validate(reply.spec)
        events = list(
            client.chat_stream("Add a five percent stop loss please", reply.conversation_id)
        )
        assert events[0].event == "token"
        assert events[-1].event == "result"
        assert events[-1].data["strategy_id"] == reply.strategy_id

        page = client.strategies()
        assert [s["id"] for s in page.items] == [reply.strategy_id]
        strategy = client.strategy(reply.strategy_id)
        assert strategy.current_version == 2
        updated = client.update_strategy(
            reply.strategy_id, StrategySpec.model_validate(SMA_CROSS), name="Mine"
        )
        assert updated.current_version == 3
        assert [v.version for v in client.strategy_versions(reply.strategy_id)] == [1, 2, 3]

        run_id = client.run_backtest(strategy_id=reply.strategy_id)
        statuses = [e.data["status"] for e in client.backtest_events(run_id)]
        assert statuses[-1] == "succeeded"
        run = client.wait_for_backtest(run_id, poll_seconds=0.05, timeout=30)
        assert isinstance(run, BacktestRun)
        assert run.result is not None
        assert run.result.summary_stats.trade_count >= 0
        assert [r.id for r in client.backtests()] == [run_id]

        code_run = client.run_backtest(
            code="def generate_signals(data, params):\n    return data['close'] > 0, data['close'] < 0\n",
            symbols=["SPY"],
            fill="close",
            size=0.5,
        )
        assert (
            client.wait_for_backtest(code_run, poll_seconds=0.05, timeout=30).status == "succeeded"
        )

        client.delete_strategy(reply.strategy_id)
        with pytest.raises(APIError) as info:
            client.strategy(reply.strategy_id)
        assert info.value.status == 404


def test_market_and_schema(api_url: str, email: str, tmp_path: Path) -> None:
    with _logged_in(api_url, email) as client:
        frame = client.market_data("SPY")
        assert frame.symbol == "SPY"
        assert client.search_symbols("spy")[0]["symbol"] == "SPY"
        csv = tmp_path / "mine.csv"
        csv.write_text("timestamp,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n")
        assert client.upload(csv, "MINE")["symbol"] == "MINE"
        assert client.market_data("MINE").provider == "upload"
        assert client.insight("SPY").symbol == "SPY"
        assert client.strategy_schema()["title"] == "StrategySpec"
        assert (
            client.update_settings(default_initial_capital=5000).settings.default_initial_capital
            == 5000
        )


def test_errors_are_problems(api_url: str, email: str) -> None:
    with VTClient(api_url) as anonymous, pytest.raises(NotLoggedIn):
        anonymous.me()
    with _logged_in(api_url, email) as client:
        with pytest.raises(APIError) as info:
            client.run_backtest(spec=SMA_CROSS, code="x", symbols=["SPY"])
        assert info.value.status == 422
        assert "exactly one" in info.value.detail
        with pytest.raises(APIError) as info:
            client.login(email, "wrong password")
        assert info.value.status == 401


def test_refreshes_a_stale_access_token(api_url: str, email: str) -> None:
    seen = []
    with _logged_in(api_url, email) as first:
        refresh = first.refresh_token
    with VTClient(
        api_url, token="stale.token.value", refresh_token=refresh, on_tokens=seen.append
    ) as client:
        assert client.me().email == email
        assert len(seen) == 1
        assert client.refresh_token != refresh  # rotated
        client.logout()
    with VTClient(api_url, token=seen[0].access_token) as revoked, pytest.raises(APIError) as info:
        revoked.me()
    assert info.value.status == 401
