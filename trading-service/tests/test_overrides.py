"""Risk overrides and the instrument allow-list over the internal API: stored, audited with user
and reason, owned (another user's ids answer 404), applied by the pre-order risk gate (a
close-only override refuses an opening order and lets a reducing one through) and, in the bar
step, a non-allowed instrument denied with its reason in the audit log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from test_faults import deploy, feed
from tr_testkit import NON_BINDING_LIMITS, h, sql, trading_client

from vt_contracts.trading import RiskLimits
from vt_db.trading_models import BrokerAccountRow
from vt_trading.context import TradingContext
from vt_trading.risk import gate
from vt_trading.runner.step import BarStep
from vt_trading.trading import risk as risk_mod

AAPL = "SAMPLE:AAPL"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def _account(api: httpx.AsyncClient, user: str) -> str:
    r = await api.post(
        "/accounts",
        json={"name": f"ov {uuid.uuid4().hex[:6]}", "risk_limits": NON_BINDING_LIMITS},
        headers=h(user),
    )
    assert r.status_code == 201, r.text
    aid: str = r.json()["id"]
    return aid


async def test_put_get_audit_risk_view_and_ownership(
    api: httpx.AsyncClient, user: str, other_user: str
) -> None:
    aid = await _account(api, user)
    empty = (await api.get(f"/accounts/{aid}/overrides", headers=h(user))).json()
    assert empty == {
        "account_id": aid,
        "account": None,
        "instruments": {},
        "deployments": {},
        "allow_list": None,
        "items": [],
    }
    body = {
        "account": "close_only",
        "instruments": {"SAMPLE:MSFT": "no_trading"},
        "allow_list": [AAPL, "SAMPLE:MSFT"],
        "reason": "earnings week: no new risk",
    }
    r = await api.put(f"/accounts/{aid}/overrides", json=body, headers=h(user))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["account"] == "close_only"
    assert got["instruments"] == {"SAMPLE:MSFT": "no_trading"}
    assert got["allow_list"] == [AAPL, "SAMPLE:MSFT"]
    assert {(i["level"], i["target"], i["set_by"], i["reason"]) for i in got["items"]} == {
        ("account", None, user, "earnings week: no new risk"),
        ("instrument", "SAMPLE:MSFT", user, "earnings week: no new risk"),
    }
    risk = (await api.get("/trading/risk", params={"account_id": aid}, headers=h(user))).json()
    assert risk["overrides"] == got

    # replacing: what is left out is cleared, an unchanged override keeps its reason
    r = await api.put(
        f"/accounts/{aid}/overrides",
        json={"instruments": {"SAMPLE:MSFT": "no_trading"}, "reason": "earnings over"},
        headers=h(user),
    )
    assert r.json()["account"] is None
    assert r.json()["allow_list"] is None
    assert [i["reason"] for i in r.json()["items"]] == ["earnings week: no new risk"]

    audit = (await api.get("/trading/audit", params={"account_id": aid}, headers=h(user))).json()
    assert audit["verified"] is True
    changes = [e for e in audit["items"] if e["kind"] == "risk.overrides"]
    assert [(e["actor"], e["record"]["reason"]) for e in changes] == [
        (user, "earnings week: no new risk"),
        (user, "earnings over"),
    ]
    assert changes[0]["record"]["after"]["account"] == "close_only"

    # another user's account is not found, whatever the verb
    for method, payload in (("GET", None), ("PUT", body)):
        r = await api.request(
            method, f"/accounts/{aid}/overrides", json=payload, headers=h(other_user)
        )
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "GET /api/v1/trading/accounts" in r.json()["detail"]
    r = await api.get(f"/deployments/{uuid.uuid4()}/overrides", headers=h(user))
    assert r.status_code == 404


async def test_refusals_say_what_to_fix(api: httpx.AsyncClient, user: str) -> None:
    aid = await _account(api, user)
    for body, field in (
        ({"account": "close_only"}, "reason"),
        ({"account": "sell_only", "reason": "why not"}, "account"),
        ({"allow_list": ["bad symbol!"], "reason": "typo"}, "allow_list"),
        ({"account": None, "reason": "x", "extra": 1}, "extra"),
    ):
        r = await api.put(f"/accounts/{aid}/overrides", json=body, headers=h(user))
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text


async def _gate(ctx: TradingContext, aid: str, order: gate.ProposedOrder) -> gate.RiskDecision:
    async with ctx.sessionmaker() as session:
        account = await session.get(BrokerAccountRow, uuid.UUID(aid))
        assert account is not None
        limits = RiskLimits.model_validate(account.risk_limits)
        context = await risk_mod.risk_context(
            session,
            account,
            {AAPL: Decimal("100"), "SAMPLE:MSFT": Decimal("30")},
            limits,
            instruments={},
            now=datetime.now(UTC),
        )
        return gate.check_order(context, order)


async def test_close_only_refuses_opening_and_allows_reducing(
    make_settings: Any, user: str, redis: Redis
) -> None:
    ctx = await TradingContext.create(make_settings(), redis)
    try:
        async with trading_client(make_settings()) as api:
            aid = await _account(api, user)
            r = await api.post(
                "/trading/manual/trade",
                json={
                    "account_id": aid,
                    "symbol": AAPL,
                    "side": "buy",
                    "qty": "10",
                    "price": "100",
                    "reason": "position held before the override",
                },
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            buy = gate.ProposedOrder(symbol=AAPL, side="buy", qty=Decimal(5))
            sell = gate.ProposedOrder(symbol=AAPL, side="sell", qty=Decimal(4))
            assert (await _gate(ctx, aid, buy)).kind == "allow"

            r = await api.put(
                f"/accounts/{aid}/overrides",
                json={"account": "close_only", "reason": "wind the account down"},
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            opening = await _gate(ctx, aid, buy)
            assert (opening.kind, opening.reason_code) == ("deny", "override_close_only")
            assert "close-only override on account" in opening.detail
            reducing = await _gate(ctx, aid, sell)
            assert (reducing.kind, reducing.qty, reducing.reason_code) == (
                "allow",
                Decimal(4),
                "reduces_risk",
            )
            # selling through flat: the closing 10 pass, the new short does not
            through = await _gate(
                ctx, aid, gate.ProposedOrder(symbol=AAPL, side="sell", qty=Decimal(15))
            )
            assert (through.kind, through.qty) == ("clip", Decimal(10))

            # instrument level and the allow-list
            r = await api.put(
                f"/accounts/{aid}/overrides",
                json={
                    "instruments": {AAPL: "no_trading"},
                    "allow_list": [AAPL],
                    "reason": "only AAPL, and not now",
                },
                headers=h(user),
            )
            assert r.status_code == 200, r.text
            frozen = await _gate(ctx, aid, sell)
            assert (frozen.kind, frozen.reason_code) == ("deny", "override_no_trading")
            msft = await _gate(
                ctx, aid, gate.ProposedOrder(symbol="SAMPLE:MSFT", side="buy", qty=Decimal(1))
            )
            assert (msft.kind, msft.reason_code) == ("deny", "instrument_not_allowed")
            assert "SAMPLE:MSFT is not on the account's allow-list" in msft.detail
    finally:
        await ctx.aclose()


@pytest.fixture
async def qualified(
    database_url: str, backtest_url: str, backtest_worker: None, user: str
) -> dict[str, Any]:
    from test_replay_parity import PERIOD
    from tr_testkit import run_backtest, save_strategy

    from vt_contracts.examples import sma_crossover_spec

    spec = sma_crossover_spec(AAPL, period=PERIOD)
    sid, _ = save_strategy(database_url, user, spec)
    return {"strategy_id": sid, "run": await run_backtest(backtest_url, user, spec)}


async def test_bar_step_denies_a_non_allowed_instrument_and_records_why(
    make_settings: Any,
    user: str,
    other_user: str,
    qualified: dict[str, Any],
    redis: Redis,
    database_url: str,
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    async with trading_client(make_settings()) as api:
        r = await api.put(
            f"/accounts/{aid}/overrides",
            json={"allow_list": ["SAMPLE:MSFT"], "reason": "AAPL is off limits"},
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        # the deployment-level override is the deployment's own, and owned
        r = await api.put(
            f"/deployments/{did}/overrides",
            json={"mode": "reduce_only", "reason": "watch it first"},
            headers=h(other_user),
        )
        assert r.status_code == 404
        r = await api.put(
            f"/deployments/{did}/overrides",
            json={"mode": "reduce_only", "reason": "watch it first"},
            headers=h(user),
        )
        assert r.status_code == 200, r.text
        assert r.json()["mode"] == "reduce_only"
        assert r.json()["set_by"] == user
        got = (await api.get(f"/accounts/{aid}/overrides", headers=h(user))).json()
        assert got["deployments"] == {did: "reduce_only"}
        r = await api.put(
            f"/deployments/{did}/overrides",
            json={"mode": None, "reason": "seen enough"},
            headers=h(user),
        )
        assert r.json()["mode"] is None
        assert (await api.get(f"/deployments/{did}/overrides", headers=h(user))).json()[
            "mode"
        ] is None

    ctx = await TradingContext.create(make_settings(), redis)
    try:
        frames, bars = await feed(ctx, did)
        step = BarStep(ctx, None)
        for t in bars[:250]:
            await step.run(uuid.UUID(did), t, frames, replay=True)
    finally:
        await ctx.aclose()
    assert sql(
        database_url, "SELECT count(*) FROM trading_paper.orders WHERE deployment_id = %s", did
    ) == [(0,)]
    denied = sql(
        database_url,
        "SELECT record FROM trading_paper.audit_log WHERE account_id = %s AND kind = 'risk.deny'",
        aid,
    )
    assert denied, "the SMA crossover entered within 250 bars; the gate must have denied it"
    assert {d[0]["reason_code"] for d in denied} == {"instrument_not_allowed"}
    assert "SAMPLE:AAPL is not on the account's allow-list" in denied[0][0]["detail"]
