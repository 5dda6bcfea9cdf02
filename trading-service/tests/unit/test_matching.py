"""The paper matching engine's rules, one by one, and its invariants (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from vt_contracts.examples import sma_crossover_spec
from vt_contracts.strategy import StrategySpec
from vt_trading.paper.matching import (
    Bar,
    CostModel,
    PaperOrder,
    cancelled_siblings,
    fill_market,
    match_open_gaps,
    match_range,
    to_decimal,
)

TS = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
COSTS = CostModel(commission=0.001, commission_fixed=1.0, slippage=0.0005)


def bar(o: float, h: float, lo: float, c: float) -> Bar:
    return Bar(TS, o, h, lo, c, 1000.0)


def stop(coid: str, side: str, qty: int, level: float, group: str | None = "g") -> PaperOrder:
    return PaperOrder(
        coid, "X", side, "stop", Decimal(qty), stop_price=to_decimal(level), oco_group=group
    )  # type: ignore[arg-type]


def limit(coid: str, side: str, qty: int, level: float, group: str | None = "g") -> PaperOrder:
    return PaperOrder(
        coid, "X", side, "limit", Decimal(qty), limit_price=to_decimal(level), oco_group=group
    )  # type: ignore[arg-type]


def test_cost_model_from_spec_is_the_engine_conversion() -> None:
    spec = StrategySpec.model_validate(
        sma_crossover_spec(
            "X", costs={"commission_pct": 0.25, "commission_fixed": 2.5, "slippage_pct": 0.1}
        )
    )
    assert CostModel.from_spec(spec) == CostModel(0.0025, 2.5, 0.001)


def test_market_orders_fill_at_the_open_with_adverse_slippage_and_engine_fees() -> None:
    b = bar(100.0, 110.0, 90.0, 105.0)
    buy = PaperOrder("b1", "X", "buy", "market", Decimal(10))
    sell = PaperOrder("s1", "X", "sell", "market", Decimal(4))
    resting = limit("l1", "sell", 3, 101.0)
    out = fill_market([buy, sell, resting], b, COSTS)
    assert [e.client_order_id for e in out] == ["b1", "s1"]
    fb, fs = 100.0 * (1.0 + 0.0005), 100.0 * (1.0 - 0.0005)
    assert out[0].price == to_decimal(fb)
    assert out[0].fees == to_decimal(10.0 * fb * 0.001 + 1.0)
    assert out[1].price == to_decimal(fs)
    assert out[1].fees == to_decimal(4.0 * fs * 0.001 + 1.0)
    assert (out[0].side, out[0].qty, out[0].ts, out[0].execution_id) == ("buy", 10, TS, "b1:1")


def test_a_stop_gapped_at_the_open_fills_at_the_open() -> None:
    b = bar(94.0, 99.0, 93.0, 98.0)  # opens below the 95 stop
    s = stop("s", "sell", 10, 95.0)
    tp = limit("t", "sell", 5, 110.0)
    (ex,) = match_open_gaps([s, tp], b, COSTS)
    assert ex.client_order_id == "s"
    assert ex.price == to_decimal(94.0 * (1.0 - 0.0005))
    assert cancelled_siblings([s, tp], [ex]) == ["t"]
    # the same stop fills the same way when matched against the whole bar
    assert match_range([s, tp], b, COSTS) == [ex]


def test_a_stop_reached_inside_the_bar_fills_at_its_level_and_not_at_the_open_print() -> None:
    b = bar(100.0, 101.0, 94.0, 96.0)
    s = stop("s", "sell", 10, 95.0)
    assert match_open_gaps([s], b, COSTS) == []
    (ex,) = match_range([s], b, COSTS)
    assert ex.price == to_decimal(95.0 * (1.0 - 0.0005))
    assert ex.fees == to_decimal(10.0 * (95.0 * (1.0 - 0.0005)) * 0.001 + 1.0)


def test_buy_stop_protects_a_short() -> None:
    b = bar(100.0, 106.0, 99.0, 104.0)
    (ex,) = match_range([stop("s", "buy", 3, 105.0)], b, COSTS)
    assert (ex.side, ex.price) == ("buy", to_decimal(105.0 * (1.0 + 0.0005)))
    gap = bar(107.0, 108.0, 106.5, 107.5)
    (ex,) = match_open_gaps([stop("s", "buy", 3, 105.0)], gap, COSTS)
    assert ex.price == to_decimal(107.0 * (1.0 + 0.0005))


def test_stop_before_take_profit_when_the_bar_touches_both() -> None:
    b = bar(100.0, 112.0, 94.0, 100.0)
    orders = [
        limit("t1", "sell", 5, 105.0),
        stop("s", "sell", 10, 95.0),
        limit("t2", "sell", 5, 110.0),
    ]
    out = match_range(orders, b, COSTS)
    assert [e.client_order_id for e in out] == ["s"]
    assert sorted(cancelled_siblings(orders, out)) == ["t1", "t2"]


def test_take_profit_stages_fill_in_price_order_at_their_levels_or_the_open() -> None:
    b = bar(100.0, 111.0, 99.0, 108.0)
    orders = [
        limit("t3", "sell", 2, 120.0),
        limit("t2", "sell", 3, 110.0),
        limit("t1", "sell", 5, 105.0),
        stop("s", "sell", 10, 90.0),
    ]
    out = match_range(orders, b, COSTS)
    assert [(e.client_order_id, e.price) for e in out] == [
        ("t1", to_decimal(105.0 * (1.0 - 0.0005))),
        ("t2", to_decimal(110.0 * (1.0 - 0.0005))),
    ]
    # a take-profit fill cancels nothing (the engine keeps the stop for what is left)
    assert cancelled_siblings(orders, out) == []
    gapped = bar(106.0, 107.0, 104.0, 105.0)
    out = match_open_gaps(orders, gapped, COSTS)
    assert [(e.client_order_id, e.price) for e in out] == [
        ("t1", to_decimal(106.0 * (1.0 - 0.0005)))
    ]


def test_buy_limits_fill_highest_first() -> None:
    b = bar(100.0, 101.0, 90.0, 95.0)
    out = match_range(
        [limit("a", "buy", 1, 92.0, None), limit("b", "buy", 1, 97.0, None)], b, COSTS
    )
    assert [e.client_order_id for e in out] == ["b", "a"]


# -- invariants ------------------------------------------------------------------------------

prices = st.floats(min_value=1.0, max_value=1000.0, allow_nan=False, allow_infinity=False)


@st.composite
def bars(draw: st.DrawFn) -> Bar:
    o, c = draw(prices), draw(prices)
    h = max(o, c) * draw(st.floats(min_value=1.0, max_value=1.2))
    lo = min(o, c) * draw(st.floats(min_value=0.8, max_value=1.0))
    return bar(o, h, lo, c)


@st.composite
def books(draw: st.DrawFn) -> list[PaperOrder]:
    n = draw(st.integers(min_value=0, max_value=8))
    out: list[PaperOrder] = []
    for i in range(n):
        kind = draw(st.sampled_from(["stop", "limit", "market"]))
        side = draw(st.sampled_from(["buy", "sell"]))
        qty = draw(st.integers(min_value=1, max_value=1000))
        level = draw(prices)
        group = draw(st.sampled_from([None, "g1", "g2"]))
        if kind == "stop":
            out.append(stop(f"o{i}", side, qty, level, group))
        elif kind == "limit":
            out.append(limit(f"o{i}", side, qty, level, group))
        else:
            out.append(PaperOrder(f"o{i}", "X", side, "market", Decimal(qty)))  # type: ignore[arg-type]
    return out


@settings(max_examples=300, deadline=None)
@given(b=bars(), book=books())
def test_fills_never_exceed_the_order_and_stay_inside_the_bar(
    b: Bar, book: list[PaperOrder]
) -> None:
    by_id = {o.client_order_id: o for o in book}
    for match in (match_open_gaps, match_range, fill_market):
        out = match(book, b, COSTS)
        ids = [e.client_order_id for e in out]
        assert len(ids) == len(set(ids))  # one execution per order at most
        for e in out:
            o = by_id[e.client_order_id]
            assert e.qty == o.qty
            assert e.side == o.side
            raw = float(e.price) / (
                (1.0 + COSTS.slippage) if e.side == "buy" else (1.0 - COSTS.slippage)
            )
            assert b.low * (1 - 1e-12) <= raw <= b.high * (1 + 1e-12)
            assert e.fees > 0
        # a filled stop leaves nothing else of its OCO group filled in the same match
        stops = {by_id[i].oco_group for i in ids if by_id[i].type == "stop" and by_id[i].oco_group}
        for i in ids:
            o = by_id[i]
            if o.type != "stop" and o.oco_group in stops:
                raise AssertionError(f"{i} filled although a stop of {o.oco_group} filled")


@settings(max_examples=300, deadline=None)
@given(b=bars(), book=books())
def test_what_gaps_at_the_open_fills_the_same_way_over_the_whole_bar(
    b: Bar, book: list[PaperOrder]
) -> None:
    gaps = match_open_gaps(book, b, COSTS)
    whole = {e.client_order_id: e for e in match_range(book, b, COSTS)}
    for e in gaps:
        if e.client_order_id in whole:
            assert whole[e.client_order_id] == e
    # gap fills are at the open
    for e in gaps:
        raw = float(e.price) / (
            (1.0 + COSTS.slippage) if e.side == "buy" else (1.0 - COSTS.slippage)
        )
        assert abs(raw - b.open) <= 1e-9 * b.open
