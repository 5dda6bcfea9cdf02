"""Venue harnesses for the one adapter contract suite (TRADING.md, "Testing without a broker").

A harness is a connected `Broker` plus the two things only a venue's own test double can do:
`mark(price)` sets the market price before an order, `settle()` lets the venue's clock run so
working orders fill (the paper venue fills on a bar, the fake exchange on a price move or a
release of delayed fills, the fake TWS on matching its working orders at the feed). To add a
venue, add a factory to HARNESSES; it gets the `Deps` (database sessions, Redis) it may need."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_trading.brokers.base import Broker


@dataclass(frozen=True)
class Deps:
    """What a harness may need from the test session (real PostgreSQL and Redis)."""

    sm: async_sessionmaker[AsyncSession]
    redis_url: str


@dataclass
class Harness:
    broker: Broker
    symbol: str
    qty: Decimal  # a quantity every filter of the venue accepts
    mark: Callable[[Decimal], Awaitable[None]]
    settle: Callable[[], Awaitable[None]]
    fee_rate: Decimal  # fees / traded value, for the balance arithmetic
    extra: dict[str, Any] = field(default_factory=dict)


async def paper_harness(deps: Deps) -> AsyncIterator[Harness]:
    from vt_db.trading_models import BrokerAccountRow
    from vt_trading.accounts import repository as repo
    from vt_trading.brokers.paper_venue import PaperVenue
    from vt_trading.paper.broker import PaperBroker

    sm = deps.sm
    account_id = uuid.uuid4()
    async with sm() as s, s.begin():
        s.add(
            BrokerAccountRow(
                id=account_id,
                user_id=uuid.uuid4(),
                name="contract",
                venue="paper",
                environment="paper",
                base_currency="USD",
                starting_cash=Decimal(100_000),
                risk_limits={},
            )
        )
        await s.flush()
        repo.add_paper_balance(s, account_id, Decimal(100_000))
    venue = PaperVenue(sm, account_id, scope="contract")
    await venue.connect()
    state = {"price": Decimal(100), "t": datetime(2024, 1, 1, tzinfo=UTC)}

    async def mark(price: Decimal) -> None:
        state["price"] = price

    async def settle() -> None:
        state["t"] += timedelta(days=1)  # type: ignore[operator]
        p = float(state["price"])  # type: ignore[arg-type]
        bar = {"open": p, "high": p, "low": p, "close": p, "volume": 1.0}
        ts = pd.Timestamp(state["t"])
        async with sm() as s, s.begin():
            b = PaperBroker(s, account_id)
            await b.on_open("contract", "SAMPLE:AAPL", ts, bar)
            await b.fill_markets("contract", "SAMPLE:AAPL", ts, bar)
            await b.on_range("contract", "SAMPLE:AAPL", ts, bar)

    yield Harness(venue, "SAMPLE:AAPL", Decimal(10), mark, settle, Decimal(0))
    await venue.close()


async def ccxt_binance_harness(deps: Deps) -> AsyncIterator[Harness]:
    from vt_fakes.exchange import FakeExchange
    from vt_trading.brokers.ccxt_venue import CcxtBroker, CcxtConfig

    fake = FakeExchange()
    fake.add_account("K", "S", {"USDT": Decimal(100_000)})
    await fake.start()
    broker = CcxtBroker(
        CcxtConfig(
            exchange="binance",
            api_key="K",
            secret="S",
            api_base_url=fake.url,
            enable_rate_limit=False,
            symbols=("BTC/USDT",),
        )
    )
    await broker.connect()

    async def mark(price: Decimal) -> None:
        fake.engine.set_price("BTCUSDT", price)

    async def settle() -> None:
        fake.engine.release("BTCUSDT")
        fake.engine.set_price("BTCUSDT", fake.engine.prices["BTCUSDT"])

    yield Harness(
        broker, "BTC/USDT", Decimal("0.1"), mark, settle, fake.engine.fee_rate, {"fake": fake}
    )
    await broker.close()
    await fake.stop()


async def ccxt_okx_harness(deps: Deps) -> AsyncIterator[Harness]:
    """OKX's wire (passphrase signing, clOrdId, fills by bill id) over the same fake engine."""
    from vt_fakes.exchange import FakeExchange
    from vt_trading.brokers.ccxt_venue import CcxtBroker, CcxtConfig

    fake = FakeExchange(wire="okx")
    fake.add_account("K", "S", {"USDT": Decimal(100_000)}, passphrase="P")
    await fake.start()
    broker = CcxtBroker(
        CcxtConfig(
            exchange="okx",
            api_key="K",
            secret="S",
            password="P",
            api_base_url=fake.url,
            enable_rate_limit=False,
            symbols=("BTC/USDT",),
        )
    )
    await broker.connect()

    async def mark(price: Decimal) -> None:
        fake.engine.set_price("BTCUSDT", price)

    async def settle() -> None:
        fake.engine.release("BTCUSDT")
        fake.engine.set_price("BTCUSDT", fake.engine.prices["BTCUSDT"])

    yield Harness(
        broker, "BTC/USDT", Decimal("0.1"), mark, settle, fake.engine.fee_rate, {"fake": fake}
    )
    await broker.close()
    await fake.stop()


IBKR_FEE_RATE = Decimal("0.0005")  # 5 bp of traded value: whole cents at the test's prices


async def ibkr_harness(deps: Deps) -> AsyncIterator[Harness]:
    """The ib_async adapter (its real client code) against the wire-level fake TWS: US stock
    AAPL routed SMART, a client id leased in real Redis, fees as a rate of traded value (the
    fake's commission reports) so the balance arithmetic is the same as for the others."""
    from redis.asyncio import Redis

    from vt_fakes.tws import FakeTws
    from vt_trading.brokers.ibkr import ClientIdLeases, ConnectionManager, Endpoint, IbkrBroker
    from vt_trading.brokers.ibkr.connection import Backoff

    fake = await FakeTws().start()
    fake.set_commission_rate(IBKR_FEE_RATE)
    redis = Redis.from_url(deps.redis_url)
    leases = ClientIdLeases(
        redis,
        environment="paper",
        role="trader",
        endpoint=f"contract-{uuid.uuid4().hex[:8]}:{fake.port}",
    )
    manager = ConnectionManager(
        Endpoint("127.0.0.1", fake.port, "paper"),
        leases,
        heartbeat_s=0,
        backoff=Backoff(base_s=0.01, max_s=0.05, max_attempts=3),
    )
    broker = IbkrBroker(manager, ack_timeout_s=5)
    await broker.connect()

    async def mark(price: Decimal) -> None:
        fake.set_price("AAPL", price)

    async def settle() -> None:
        fake.match_working()
        await broker.server_time()  # a round trip: the fill events are read before we go on

    try:
        yield Harness(broker, "AAPL", Decimal(10), mark, settle, IBKR_FEE_RATE, {"fake": fake})
    finally:
        await broker.close()
        await redis.aclose()
        await fake.stop()


HARNESSES: dict[str, Callable[[Deps], AsyncIterator[Harness]]] = {
    "paper": paper_harness,
    "ccxt-binance": ccxt_binance_harness,
    "ccxt-okx": ccxt_okx_harness,
    "ibkr": ibkr_harness,
}
