"""Deployment creation against the real strategy-ai and backtest-engine services: the strategy
version is pinned (spec hash), the backtest run qualifies it, gates are evaluated server-side,
and every refusal is a problem+json that says what to change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tr_testkit import delete_strategy, h, run_backtest, save_strategy

from vt_contracts.examples import sma_crossover_spec

PERIOD = {"start": "2010-01-01", "end": "2011-12-31"}


@pytest.fixture
async def qualified(
    database_url: str, backtest_url: str, backtest_worker: None, user: str
) -> dict[str, Any]:
    """A saved SMA strategy on SAMPLE:AAPL and its real backtest run."""
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    sid, spec_hash = save_strategy(database_url, user, spec)
    run = await run_backtest(backtest_url, user, spec)
    return {"strategy_id": sid, "spec_hash": spec_hash, "run": run, "spec": spec}


async def test_ineligible_strategy_is_refused_naming_the_failing_gates(
    api: httpx.AsyncClient, user: str, qualified: dict[str, Any]
) -> None:
    body = {
        "strategy_id": qualified["strategy_id"],
        "backtest_id": qualified["run"]["id"],
        "capital": "100000",
    }
    r = await api.post("/deployments", json=body, headers=h(user))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("/ineligible")
    assert "min_trades" in problem["detail"] or "trades" in problem["detail"]
    assert "acknowledge_failed_gates" in problem["detail"]

    r = await api.post(
        "/deployments", json={**body, "acknowledge_failed_gates": True}, headers=h(user)
    )
    assert r.status_code == 201, r.text
    dep = r.json()
    assert dep["status"] == "running"
    assert dep["spec_hash"] == qualified["spec_hash"]
    assert dep["gates"]["passed"] is False
    assert dep["gates"]["acknowledged"] is True
    assert dep["gates"]["failing"]
    assert dep["review_mode"] == "auto"
    assert dep["environment"] == "paper"
    assert dep["symbols"] == ["SAMPLE:AAPL"]


async def test_refusals(
    api: httpx.AsyncClient,
    user: str,
    other_user: str,
    database_url: str,
    qualified: dict[str, Any],
) -> None:
    base = {
        "strategy_id": qualified["strategy_id"],
        "backtest_id": qualified["run"]["id"],
        "capital": "100000",
        "acknowledge_failed_gates": True,
    }
    # capital above the account's equity
    r = await api.post("/deployments", json={**base, "capital": "5000000"}, headers=h(user))
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/capital-above-equity"), r.text
    # unknown account
    r = await api.post(
        "/deployments",
        json={**base, "account_id": "00000000-0000-0000-0000-000000000000"},
        headers=h(user),
    )
    assert r.status_code == 404
    assert "account" in r.json()["detail"]
    # live on the paper process
    r = await api.post("/deployments", json={**base, "mode": "live"}, headers=h(user))
    assert r.status_code == 422
    assert "never mix" in r.json()["detail"]
    # another user's strategy and run
    r = await api.post("/deployments", json=base, headers=h(other_user))
    assert r.status_code == 404, r.text
    # unknown backtest run
    r = await api.post(
        "/deployments",
        json={**base, "backtest_id": "00000000-0000-0000-0000-000000000000"},
        headers=h(user),
    )
    assert r.status_code == 404
    assert "backtest" in r.json()["detail"]
    # a run of a different spec
    other_spec = sma_crossover_spec("SAMPLE:AAPL", 10, 30, period=PERIOD)
    other_sid, _ = save_strategy(database_url, user, other_spec)
    r = await api.post("/deployments", json={**base, "strategy_id": other_sid}, headers=h(user))
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/backtest-mismatch"), r.text
    # a deleted strategy
    delete_strategy(database_url, qualified["strategy_id"])
    r = await api.post("/deployments", json=base, headers=h(user))
    assert r.status_code == 404
    assert "deleted" in r.json()["detail"]


async def test_live_needs_credentials_and_passing_gates(
    make_settings: Any, user: str, qualified: dict[str, Any]
) -> None:
    from tr_testkit import trading_client

    from vt_fakes.exchange import FakeExchange

    fake = FakeExchange()  # the key test on save goes to the fake exchange, never a real one
    fake.add_account("a", "b")
    await fake.start()
    async with trading_client(
        make_settings(TRADING_ENVIRONMENT="live", TRADING_CCXT_API_BASE_URL=fake.url)
    ) as live:
        body = {
            "strategy_id": qualified["strategy_id"],
            "backtest_id": qualified["run"]["id"],
            "capital": "1000",
            "mode": "live",
            "broker": "ccxt:binance",
            "acknowledge_failed_gates": True,
        }
        r = await live.post("/deployments", json=body, headers=h(user))
        assert r.status_code == 404  # no live account yet
        acct = (
            await live.post(
                "/accounts",
                json={"name": "Binance", "venue": "ccxt:binance", "environment": "live"},
                headers=h(user),
            )
        ).json()
        r = await live.post(
            "/deployments", json={**body, "account_id": acct["id"]}, headers=h(user)
        )
        assert r.status_code == 422
        assert r.json()["type"].endswith("/missing-credentials")
        acct2 = (
            await live.post(
                "/accounts",
                json={
                    "name": "Binance 2",
                    "venue": "ccxt:binance",
                    "environment": "live",
                    "credentials": {"api_key": "a", "secret": "b"},
                    "starting_cash": "100000",
                },
                headers=h(user),
            )
        ).json()
        r = await live.post(
            "/deployments", json={**body, "account_id": acct2["id"]}, headers=h(user)
        )
        assert r.status_code == 422, r.text
        assert r.json()["type"].endswith("/ineligible")
        assert "Live deployments always need passing gates" in r.json()["detail"]
    await fake.stop()


async def test_lifecycle_lists_and_ownership(
    api: httpx.AsyncClient, user: str, other_user: str, qualified: dict[str, Any]
) -> None:
    body = {
        "strategy_id": qualified["strategy_id"],
        "backtest_id": qualified["run"]["id"],
        "capital": "100000",
        "acknowledge_failed_gates": True,
        "replay": {"start": "2010-01-01", "end": "2011-12-31", "bars_per_second": 50},
    }
    dep = (await api.post("/deployments", json=body, headers=h(user))).json()
    assert dep["replay"]["label"] == "replay"
    assert dep["replay"]["bars_done"] == 0
    did = dep["id"]
    for path in ("", "/targets", "/orders", "/fills", "/positions", "/pnl"):
        r = await api.get(f"/deployments/{did}{path}", headers=h(other_user))
        assert r.status_code == 404, (path, r.text)
        assert (await api.get(f"/deployments/{did}{path}", headers=h(user))).status_code == 200
    r = await api.post(f"/deployments/{did}/pause", headers=h(other_user))
    assert r.status_code == 404
    assert (await api.post(f"/deployments/{did}/pause", headers=h(user))).json()[
        "status"
    ] == "paused"
    r = await api.post(f"/deployments/{did}/pause", headers=h(user))
    assert r.status_code == 409
    assert "cannot pause" in r.json()["detail"]
    assert (await api.post(f"/deployments/{did}/resume", headers=h(user))).json()[
        "status"
    ] == "running"
    assert (await api.post(f"/deployments/{did}/stop", headers=h(user))).json()[
        "status"
    ] == "stopped"
    page = (await api.get("/deployments", params={"limit": 1}, headers=h(user))).json()
    assert [d["id"] for d in page["items"]] == [did]
    assert (await api.get("/deployments", headers=h(other_user))).json()["items"] == []
