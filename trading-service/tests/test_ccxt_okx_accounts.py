"""`ccxt:okx` accounts through the API against the fake OKX: the key (with its passphrase) is
tried on save, stored encrypted, never returned; a wrong key, a missing or wrong passphrase, a
key of the other environment and the withdraw permission are refused with OKX's complaint;
the paper environment is OKX demo trading."""

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
    f = FakeExchange(wire="okx")
    f.add_account(
        "okx-key",
        "okx-secret",
        {"USDT": Decimal(5000), "BTC": Decimal("0.2")},
        passphrase="okx-pass",
    )
    f.add_account("okx-wd", "okx-wd-secret", passphrase="okx-wd-pass", can_withdraw=True)
    f.add_account("okx-demo", "okx-demo-secret", passphrase="okx-demo-pass", demo=True)
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


def body(name: str, key: str, secret: str, password: str | None, **kw: Any) -> dict[str, Any]:
    creds = {"api_key": key, "secret": secret}
    if password is not None:
        creds["password"] = password
    return {
        "name": name,
        "venue": "ccxt:okx",
        "environment": "live",
        "base_currency": "USDT",
        "credentials": creds,
        **kw,
    }


async def test_good_key_is_stored_encrypted_and_never_returned(
    live: httpx.AsyncClient, user: str, database_url: str
) -> None:
    r = await live.post(
        "/accounts", json=body("OKX", "okx-key", "okx-secret", "okx-pass"), headers=h(user)
    )
    assert r.status_code == 201, r.text
    acct = r.json()
    assert acct["venue"] == "ccxt:okx"
    assert acct["has_credentials"] is True
    for secret in ("okx-secret", "okx-pass"):
        assert secret not in r.text
        assert secret not in (await live.get(f"/accounts/{acct['id']}", headers=h(user))).text
    rows = sql(
        database_url,
        "SELECT credentials_enc FROM trading_live.broker_accounts WHERE id = %s",
        acct["id"],
    )
    assert rows
    for plain in ("okx-secret", "okx-pass", "okx-key"):
        assert plain not in rows[0][0]
    audit = sql(
        database_url,
        "SELECT record::text FROM trading_live.audit_log WHERE account_id = %s",
        acct["id"],
    )
    assert all("okx-pass" not in json.dumps(a) for a in audit)
    assert all("okx-secret" not in json.dumps(a) for a in audit)


@pytest.mark.parametrize(
    ("key", "secret", "password", "complaint"),
    [
        ("okx-key", "wrong", "okx-pass", "OKX 50113: Invalid Sign"),
        ("no-such-key", "no-such-secret", "no-such-pass", "OKX 50111: Invalid OK-ACCESS-KEY"),
        ("okx-key", "okx-secret", "wrong-pass", "OKX 50105"),
        ("okx-demo", "okx-demo-secret", "okx-demo-pass", "OKX 50101"),  # a demo key, live
        ("okx-wd", "okx-wd-secret", "okx-wd-pass", "can withdraw"),
    ],
)
async def test_bad_keys_are_refused_with_okx_s_complaint(
    live: httpx.AsyncClient,
    user: str,
    key: str,
    secret: str,
    password: str,
    complaint: str,
) -> None:
    r = await live.post("/accounts", json=body("B", key, secret, password), headers=h(user))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("/bad-credentials")
    assert complaint in problem["detail"]
    assert "okx" in problem["detail"]
    assert password not in problem["detail"]
    assert secret not in problem["detail"]
    assert "passphrase" in problem["detail"]
    assert (await live.get("/accounts", headers=h(user))).json()["items"] == []


async def test_missing_passphrase_is_refused_before_any_request(
    live: httpx.AsyncClient, user: str, fake: FakeExchange
) -> None:
    before = len(fake.engine.requests)
    r = await live.post(
        "/accounts", json=body("NoPass", "okx-key", "okx-secret", None), headers=h(user)
    )
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/bad-credentials")
    assert "passphrase" in r.json()["detail"]
    assert "'password'" in r.json()["detail"]
    assert len(fake.engine.requests) == before


async def test_paper_is_okx_demo_trading(
    database_url: str, redis_url: str, fake: FakeExchange, user: str
) -> None:
    from tr_testkit import trading_client

    async with trading_client(settings(database_url, redis_url, "paper", fake.url)) as paper:
        r = await paper.post(
            "/accounts",
            json=body("Demo", "okx-demo", "okx-demo-secret", "okx-demo-pass", environment="paper"),
            headers=h(user),
        )
        assert r.status_code == 201, r.text
        # a live key on demo trading: OKX says the environment does not match
        r = await paper.post(
            "/accounts",
            json=body("Live", "okx-key", "okx-secret", "okx-pass", environment="paper"),
            headers=h(user),
        )
        assert r.status_code == 422
        assert "okx demo trading refused the API key" in r.json()["detail"]
        assert "demo-trading keys work only in the paper" in r.json()["detail"]


async def test_reconcile_opening_holdings_then_a_web_trade_halts(
    database_url: str, redis_url: str, fake: FakeExchange, user: str
) -> None:
    """Coins already held at OKX become the unattributed bucket; a trade placed on OKX's own
    site (no clOrdId) is not ours: the account halts with an exception, reported once."""
    import uuid

    from redis.asyncio import Redis
    from tr_testkit import trading_client

    from vt_trading.context import TradingContext
    from vt_trading.trading.reconcile import reconcile_account

    s = settings(database_url, redis_url, "live", fake.url)
    async with trading_client(s) as c:
        r = await c.post(
            "/accounts", json=body("Recon", "okx-key", "okx-secret", "okx-pass"), headers=h(user)
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
            "SELECT symbol, qty FROM trading_live.positions "
            "WHERE account_id = %s AND deployment_id IS NULL",
            aid,
        )
        assert held == [("BTC/USDT", Decimal("0.2"))]
        assert not (await reconcile_account(ctx, uuid.UUID(aid), actor="t", reason="x")).halted
        fake.engine.place("okx-key", "BTCUSDT", "BUY", "MARKET", Decimal("0.01"), None, None)
        fills = [p for m, path, p in fake.engine.requests if path.endswith("fills-history")]
        assert fills
        third = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="timer")
        assert third.halted
        assert "missing_fill_unattributed" in {i.kind for i in third.items}
        cursor = sql(
            database_url,
            "SELECT watermark FROM trading_live.venue_cursors WHERE account_id = %s",
            aid,
        )
        assert cursor
        assert json.loads(cursor[0][0])["BTC/USDT"].startswith("7000")  # a bill id
    finally:
        await ctx.aclose()
        await redis.aclose()
