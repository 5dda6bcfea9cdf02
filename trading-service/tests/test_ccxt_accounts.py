"""`ccxt:<exchange>` accounts: the key is tried against the (fake) exchange on save, stored
encrypted, never returned; wrong keys and withdraw permission are refused with the exchange's
own complaint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tr_testkit import TOKEN, h, sql

from vt_fakes.exchange import FakeExchange
from vt_trading.settings import Settings


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    f = FakeExchange()
    f.add_account("good-key", "good-secret", {"USDT": Decimal(5000), "BTC": Decimal("0.2")})
    f.add_account("withdraw-key", "withdraw-secret", can_withdraw=True)
    await f.start()
    yield f
    await f.stop()


def settings(database_url: str, redis_url: str, env: str, ccxt_url: str) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INTERNAL_TOKEN=TOKEN,
        MARKET_DATA_URL="http://127.0.0.1:9",
        STRATEGY_AI_URL="http://127.0.0.1:9",
        BACKTEST_ENGINE_URL="http://127.0.0.1:9",
        TRADING_ENVIRONMENT=env,
        TRADING_RUNNER=False,
        TRADING_CCXT_API_BASE_URL=ccxt_url,
    )


@pytest.fixture
async def live(
    database_url: str, redis_url: str, fake: FakeExchange
) -> AsyncIterator[httpx.AsyncClient]:
    from tr_testkit import trading_client

    async with trading_client(settings(database_url, redis_url, "live", fake.url)) as c:
        yield c


def body(name: str, key: str, secret: str, **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "venue": "ccxt:binance",
        "environment": "live",
        "base_currency": "USDT",
        "credentials": {"api_key": key, "secret": secret},
        **kw,
    }


async def test_wrong_secret_names_the_exchange_complaint(
    live: httpx.AsyncClient, user: str
) -> None:
    r = await live.post("/accounts", json=body("B", "good-key", "wrong"), headers=h(user))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("/bad-credentials")
    assert "Signature for this request is not valid" in problem["detail"]
    assert "binance" in problem["detail"]
    r = await live.post("/accounts", json=body("B", "no-such-key", "x"), headers=h(user))
    assert r.status_code == 422
    assert "Invalid API-key" in r.json()["detail"]
    assert (await live.get("/accounts", headers=h(user))).json()["items"] == []


async def test_withdraw_permission_is_refused(live: httpx.AsyncClient, user: str) -> None:
    r = await live.post(
        "/accounts", json=body("W", "withdraw-key", "withdraw-secret"), headers=h(user)
    )
    assert r.status_code == 422
    assert "can withdraw" in r.json()["detail"]


async def test_good_key_is_stored_encrypted_and_never_returned(
    live: httpx.AsyncClient, user: str, database_url: str
) -> None:
    r = await live.post(
        "/accounts", json=body("Binance", "good-key", "good-secret"), headers=h(user)
    )
    assert r.status_code == 201, r.text
    acct = r.json()
    assert acct["has_credentials"] is True
    assert "good-secret" not in r.text
    assert "good-secret" not in (await live.get(f"/accounts/{acct['id']}", headers=h(user))).text
    rows = sql(
        database_url,
        "SELECT credentials_enc FROM trading_live.broker_accounts WHERE id = %s",
        acct["id"],
    )
    assert rows
    assert "good-secret" not in rows[0][0]
    assert "good-key" not in rows[0][0]
    audit = sql(
        database_url,
        "SELECT record::text FROM trading_live.audit_log WHERE account_id = %s",
        acct["id"],
    )
    assert audit
    assert all("good-secret" not in json.dumps(a) for a in audit)


async def test_unknown_exchange_and_missing_fields(live: httpx.AsyncClient, user: str) -> None:
    r = await live.post(
        "/accounts", json=body("X", "k", "s", venue="ccxt:nosuchexchange"), headers=h(user)
    )
    assert r.status_code == 422
    assert r.json()["type"].endswith("/unknown-venue")
    r = await live.post(
        "/accounts",
        json={**body("Y", "k", "s"), "credentials": {"api_key": "k"}},
        headers=h(user),
    )
    assert r.status_code == 422
    assert "'secret'" in r.json()["detail"]


async def test_paper_uses_the_testnet_and_unreachable_is_502(
    database_url: str, redis_url: str, fake: FakeExchange, user: str
) -> None:
    from tr_testkit import trading_client

    async with trading_client(settings(database_url, redis_url, "paper", fake.url)) as paper:
        r = await paper.post(
            "/accounts",
            json=body("Testnet", "good-key", "good-secret", environment="paper"),
            headers=h(user),
        )
        assert r.status_code == 201, r.text
    async with trading_client(
        settings(database_url, redis_url, "paper", "http://127.0.0.1:9")
    ) as c:
        r = await c.post(
            "/accounts",
            json=body("Down", "good-key", "good-secret", environment="paper"),
            headers=h(user),
        )
        assert r.status_code == 502
        assert "could not reach binance testnet" in r.json()["detail"]


async def test_reconcile_spot_opening_holdings_then_foreign_trade_halts(
    database_url: str, redis_url: str, fake: FakeExchange, user: str
) -> None:
    """First reconciliation: coins already held become the unattributed bucket, nothing halts.
    Then a trade nobody of ours placed (the user on the exchange's own site) halts the account
    with an exception, and the watermark moves past it so it is reported once."""
    import uuid

    from redis.asyncio import Redis
    from tr_testkit import trading_client

    from vt_trading.context import TradingContext
    from vt_trading.trading.reconcile import reconcile_account

    s = settings(database_url, redis_url, "live", fake.url)
    async with trading_client(s) as c:
        r = await c.post(
            "/accounts", json=body("Recon", "good-key", "good-secret"), headers=h(user)
        )
        assert r.status_code == 201, r.text
        aid = r.json()["id"]
    redis = Redis.from_url(redis_url)
    ctx = await TradingContext.create(s, redis)
    try:
        first = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="start")
        assert not first.halted, first
        held = sql(
            database_url,
            "SELECT symbol, qty, avg_price FROM trading_live.positions "
            "WHERE account_id = %s AND deployment_id IS NULL",
            aid,
        )
        assert held == [("BTC/USDT", Decimal("0.2"), Decimal(42000))]
        again = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="twice")
        assert not again.halted
        # the user buys by hand at the exchange (no client order id of ours)
        fake.engine.place("good-key", "BTCUSDT", "BUY", "MARKET", Decimal("0.01"), None, "web-1")
        # the adapter watches the symbols it holds, so the new trade is seen
        third = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="timer")
        assert third.halted
        assert "missing_fill_unattributed" in {i.kind for i in third.items}
        assert sql(
            database_url,
            "SELECT count(*) FROM trading_live.exceptions WHERE account_id = %s "
            "AND kind = 'missing_fill_unattributed'",
            aid,
        ) == [(1,)]
    finally:
        await ctx.aclose()
        await redis.aclose()
