"""A deployment on a `ccxt:binance` or `ccxt:okx` account (paper = the exchange's testnet, here
the fake Binance / the fake OKX's demo trading): the runner's orders go through the ccxt adapter with our client order ids, fills
(partial ones too) come back by watermark, positions match the exchange's trades, the coins the
user already held stay unattributed, and reconciliation finds nothing to halt on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis
from test_faults import feed, qualified  # noqa: F401 - fixture
from test_replay_parity import PERIOD
from tr_testkit import NON_BINDING_LIMITS, h, sql, trading_client

from vt_fakes.exchange import FakeExchange
from vt_fakes.exchange.okx import BILL_BASE
from vt_trading.brokers import ccxt_okx
from vt_trading.context import TradingContext
from vt_trading.runner.step import BarStep
from vt_trading.trading.reconcile import reconcile_account

CREDENTIALS = {
    "binance": {"api_key": "K", "secret": "S"},
    "okx": {"api_key": "K", "secret": "S", "password": "P"},
}


@pytest.fixture(params=["binance", "okx"])
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeExchange]:
    f = FakeExchange(wire=request.param)
    # OKX: a demo-trading key (the paper environment is OKX demo trading)
    f.add_account(
        "K",
        "S",
        {"USDT": Decimal(1_000_000), "BTC": Decimal("0.3")},
        passphrase="P",
        demo=request.param == "okx",
    )
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_deployment_trades_through_ccxt_and_reconciles(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    redis: Redis,
    database_url: str,
    fake: FakeExchange,
) -> None:
    settings = make_settings(TRADING_CCXT_API_BASE_URL=fake.url)
    exchange = fake.wire_name
    okx = exchange == "okx"
    async with trading_client(settings) as api:
        r = await api.post(
            "/accounts",
            json={
                "name": f"{exchange} testnet",
                "venue": f"ccxt:{exchange}",
                "environment": "paper",
                "base_currency": "USDT",
                "credentials": CREDENTIALS[exchange],
                "risk_limits": NON_BINDING_LIMITS,
            },
            headers=h(user),
        )
        assert r.status_code == 201, r.text
        aid = r.json()["id"]
        r = await api.post(
            "/deployments",
            json={
                "strategy_id": qualified["strategy_id"],
                "backtest_id": qualified["run"]["id"],
                "capital": "100000",
                "broker": f"ccxt:{exchange}",
                "account_id": aid,
                "acknowledge_failed_gates": True,
                "replay": {**PERIOD, "bars_per_second": 10000},
                # the signal is the sample's, the traded instrument is the exchange's BTC/USDT;
                # 10,000 shares of signal make one coin, so orders stay small
                "instrument_map": [
                    {
                        "signal_symbol": "SAMPLE:AAPL",
                        "traded_symbol": "BTC/USDT",
                        "multiplier": "10000",
                        "currency": "USDT",
                    }
                ],
            },
            headers=h(user),
        )
        assert r.status_code == 201, r.text
        did = r.json()["id"]

    ctx = await TradingContext.create(settings, redis)
    step = BarStep(ctx, None)
    try:
        first = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="start")
        assert not first.halted, first
        frames, bars = await feed(ctx, did)
        fake.engine.fill_fraction["BTCUSDT"] = Decimal("0.5")  # the first order fills half
        partial_seen = False
        for t in bars:
            await step.run(uuid.UUID(did), t, frames, replay=True)
            if fake.engine.orders and not partial_seen:
                states = sql(
                    database_url,
                    "SELECT state FROM trading_paper.orders WHERE account_id = %s",
                    aid,
                )
                assert states == [("partially_filled",)]
                partial_seen = True
                fake.engine.fill_fraction.clear()
                fake.engine.release("BTCUSDT")  # the rest arrives later, at the same price
            if len(fake.engine.orders) >= 2:  # a round trip: in, then out
                break
        assert partial_seen, "the strategy never traded"
        assert len(fake.engine.orders) == 2
        # one more bar imports whatever filled after the last step
        await step.run(uuid.UUID(did), bars[bars.index(t) + 1], frames, replay=True)
    finally:
        await step.aclose()

    ours = sql(
        database_url,
        "SELECT client_order_id, side, qty, filled_qty, state FROM trading_paper.orders "
        "WHERE account_id = %s ORDER BY created_at",
        aid,
    )
    venue = [
        (
            ccxt_okx.from_clordid(o.client_order_id) if okx else o.client_order_id,
            o.side.lower(),
            o.qty,
            o.executed,
        )
        for o in fake.engine.orders
    ]
    if okx:  # what OKX was sent: the clOrdId form of our id (alphanumerics)
        assert all(o.client_order_id.isalnum() for o in fake.engine.orders)
    assert [(c, s, q) for c, s, q, _f, _st in ours] == [(c, s, q) for c, s, q, _e in venue]
    assert all(st == "filled" and f == q for _c, _s, q, f, st in ours)
    fills = sql(
        database_url,
        "SELECT execution_id, qty, price, fees FROM trading_paper.fills WHERE account_id = %s "
        "ORDER BY ts, execution_id",
        aid,
    )
    assert len(fills) == len(fake.engine.trades)
    # Binance: the trade id (per symbol); OKX: the bill id (per account)
    venue_ids = (
        [str(BILL_BASE + i + 1) for i in range(len(fake.engine.trades))]
        if okx
        else [str(t.id) for t in fake.engine.trades]
    )
    assert sorted(f[0] for f in fills) == sorted(f"BTC/USDT#{i}" for i in venue_ids)
    assert sum(f[3] for f in fills) == sum(t.commission for t in fake.engine.trades)
    positions = dict(
        sql(
            database_url,
            "SELECT coalesce(deployment_id::text, 'unattributed'), qty FROM "
            "trading_paper.positions WHERE account_id = %s AND symbol = 'BTC/USDT'",
            aid,
        )
    )
    traded = sum((t.qty if t.is_buyer else -t.qty for t in fake.engine.trades), Decimal(0))
    assert positions[did] == traded
    assert positions["unattributed"] == Decimal("0.3")  # the coins the user already held
    btc = fake.engine.accounts["K"].balances["BTC"]
    assert btc[0] + btc[1] == Decimal("0.3") + traded
    try:
        again = await reconcile_account(ctx, uuid.UUID(aid), actor="test", reason="check")
        assert not again.halted, again
        assert {i.kind for i in again.items} <= {"matched"}
        cursor = sql(
            database_url,
            "SELECT watermark FROM trading_paper.venue_cursors WHERE account_id = %s",
            aid,
        )
        assert cursor
        last = f'"{venue_ids[-1]}"' if okx else max(venue_ids, key=int)
        assert cursor[0][0] == f'{{"BTC/USDT": {last}}}'
    finally:
        await ctx.aclose()
