"""One contract every venue adapter keeps (paper, the fake exchange through ccxt, IBKR through
ib_async against the fake TWS): place -> fill by watermark, no replays, cancel, idempotent client
order ids, positions and balances that add up to the executions, refusals as OrderRefused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from contract_harness import Harness

from vt_trading.brokers.base import Broker, OrderRefused, VenueOrder


def order(h: Harness, coid: str, side: str = "buy", **kw: object) -> VenueOrder:
    return VenueOrder(
        client_order_id=coid,
        symbol=h.symbol,
        side=side,  # type: ignore[arg-type]
        type=kw.pop("type", "market"),  # type: ignore[arg-type]
        qty=kw.pop("qty", h.qty),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


async def test_is_a_broker(venue: Harness) -> None:
    assert isinstance(venue.broker, Broker)
    assert (await venue.broker.server_time()).tzinfo is not None


async def test_place_fill_and_watermark(venue: Harness) -> None:
    b = venue.broker
    start = await b.executions_since(None)
    await venue.mark(Decimal(200))
    placed = await b.place(order(venue, "k-1"))
    assert placed.accepted
    assert not placed.duplicate
    await venue.settle()
    page = await b.executions_since(start.watermark)
    assert [(e.client_order_id, e.side, e.qty) for e in page.executions] == [
        ("k-1", "buy", venue.qty)
    ]
    assert page.executions[0].price == Decimal(200)
    assert page.watermark != start.watermark
    # nothing is replayed from the new watermark, however often we ask
    for _ in range(2):
        again = await b.executions_since(page.watermark)
        assert list(again.executions) == []
    await venue.mark(Decimal(210))
    await b.place(order(venue, "k-2", "sell"))
    await venue.settle()
    nxt = await b.executions_since(page.watermark)
    assert [e.client_order_id for e in nxt.executions] == ["k-2"]
    every = await b.executions_since(start.watermark)
    ids = [e.execution_id for e in every.executions]
    assert len(ids) == len(set(ids)) == 2


async def test_duplicate_client_order_id_is_idempotent(venue: Harness) -> None:
    b = venue.broker
    await venue.mark(Decimal(200))
    first = await b.place(order(venue, "d-1", type="limit", limit_price=Decimal(150)))
    again = await b.place(order(venue, "d-1", type="limit", limit_price=Decimal(150)))
    assert again.duplicate
    assert again.broker_order_id == first.broker_order_id
    assert [o.client_order_id for o in await b.open_orders()] == ["d-1"]
    # also once the first one is done (Binance only keeps ids unique among open orders)
    await venue.mark(Decimal(140))
    await venue.settle()
    assert await b.open_orders() == []
    late = await b.place(order(venue, "d-1", type="limit", limit_price=Decimal(150)))
    assert late.duplicate
    fills = (await b.executions_since(None)).executions
    assert [e.client_order_id for e in fills] == ["d-1"]


async def test_cancel(venue: Harness) -> None:
    b = venue.broker
    await venue.mark(Decimal(200))
    await b.place(order(venue, "c-1", type="limit", limit_price=Decimal(100)))
    working = await b.open_orders()
    assert [(o.client_order_id, o.side, o.qty) for o in working] == [("c-1", "buy", venue.qty)]
    assert await b.cancel("c-1") is True
    assert await b.open_orders() == []
    assert await b.cancel("c-1") is False
    assert await b.cancel("never-sent") is False
    await venue.mark(Decimal(90))
    await venue.settle()
    assert list((await b.executions_since(None)).executions) == []


async def test_positions_and_balances_follow_executions(venue: Harness) -> None:
    b = venue.broker
    before = await b.balances()
    held = Decimal((await b.positions()).get(venue.symbol, 0))
    for i, (side, price) in enumerate([("buy", 200), ("buy", 220), ("sell", 230)]):
        await venue.mark(Decimal(price))
        await b.place(order(venue, f"b-{i}", side))
        await venue.settle()
    execs = (await b.executions_since(None)).executions
    signed = sum((e.qty if e.side == "buy" else -e.qty for e in execs), Decimal(0))
    spent = sum(
        ((e.qty * e.price if e.side == "buy" else -e.qty * e.price) + e.fees for e in execs),
        Decimal(0),
    )
    assert sum((e.fees for e in execs), Decimal(0)) == pytest.approx(
        venue.fee_rate * sum((e.qty * e.price for e in execs), Decimal(0))
    )
    assert (await b.positions())[venue.symbol] == held + signed == held + venue.qty
    after = await b.balances()
    assert after.cash == before.cash - spent
    assert after.positions[venue.symbol] == held + venue.qty
    assert after.equity == after.cash + after.positions[venue.symbol] * Decimal(230)


async def test_refused_orders_raise_order_refused(venue: Harness) -> None:
    b = venue.broker
    await venue.mark(Decimal(200))
    with pytest.raises(OrderRefused, match="positive"):
        await b.place(order(venue, "r-1", qty=Decimal(0)))
    with pytest.raises(OrderRefused, match="limit price"):
        await b.place(order(venue, "r-2", type="limit"))
    assert await b.open_orders() == []
