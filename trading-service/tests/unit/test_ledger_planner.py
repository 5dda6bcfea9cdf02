"""Delta planner and client order ids: properties over random targets/positions/lots."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vt_contracts.trading import InstrumentMapping
from vt_trading.ledger.planner import (
    MAX_CLIENT_ID,
    PlanError,
    client_order_id,
    parse_client_order_id,
    plan_orders,
    round_to_lot,
)

D = Decimal
LOTS = [D("1"), D("0.1"), D("0.001"), D("100"), D("0.00000001")]


def mapping(sym: str, lot: Decimal) -> InstrumentMapping:
    return InstrumentMapping(signal_symbol=sym, traded_symbol=sym, lot_size=lot)


def qty(lot: Decimal, lo: int = -500, hi: int = 500) -> st.SearchStrategy[Decimal]:
    """Signed quantities, mostly lot multiples, sometimes off-lot (manual trades)."""
    on_lot = st.integers(lo, hi).map(lambda n: n * lot)
    off_lot = st.decimals(lo, hi, places=4, allow_nan=False, allow_infinity=False)
    return st.one_of(on_lot, on_lot, off_lot)


@st.composite
def books(
    draw: st.DrawFn,
) -> tuple[dict[str, D], dict[str, D], dict[str, D], dict[str, InstrumentMapping]]:
    syms = draw(
        st.lists(
            st.sampled_from(["AAA", "BBB", "MBT", "MCL", "BTC"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    targets, held, working, lots = {}, {}, {}, {}
    for s in syms:
        lot = draw(st.sampled_from(LOTS))
        lots[s] = mapping(s, lot)
        targets[s] = draw(qty(lot))
        if draw(st.booleans()):
            held[s] = draw(qty(lot))
        if draw(st.booleans()):
            working[s] = draw(qty(lot, -50, 50))
    return targets, held, working, lots


@settings(max_examples=400, deadline=None)
@given(books())
def test_plan_reaches_target_within_a_lot(book: tuple) -> None:  # type: ignore[type-arg]
    targets, held, working, lots = book
    plan = plan_orders(targets, held, working, lots)
    for sym, target in targets.items():
        lot = lots[sym].lot_size
        legs = [o for o in plan if o.symbol == sym]
        after = (
            held.get(sym, D(0)) + working.get(sym, D(0)) + sum((o.signed_qty for o in legs), D(0))
        )
        # rounded toward zero: never overshoots, misses by less than one lot
        assert abs(target - after) < lot
        expected = held.get(sym, D(0)) + working.get(sym, D(0))
        if target - expected != 0 and abs(target - expected) >= lot:
            assert abs(after - expected) <= abs(target - expected)
        for o in legs:
            assert o.qty > 0
            assert o.qty % lot == 0
        # at most a reduce leg and an opening leg, in that order, same side
        assert len(legs) <= 2
        assert len({o.side for o in legs}) <= 1
        if len(legs) == 2:
            assert legs[0].reduce_only
            assert not legs[1].reduce_only


@settings(max_examples=400, deadline=None)
@given(books())
def test_reduce_only_never_sells_more_than_held(book: tuple) -> None:  # type: ignore[type-arg]
    targets, held, working, lots = book
    for o in plan_orders(targets, held, working, lots):
        if not o.reduce_only:
            continue
        h = held.get(o.symbol, D(0))
        w = working.get(o.symbol, D(0))
        assert h != 0
        # opposes what is held ...
        assert (o.side == "sell") == (h > 0)
        # ... and together with working orders that already reduce, never more than is held
        assert o.qty <= abs(h)
        if w * h < 0:
            assert o.qty + abs(w) <= abs(h)


@settings(max_examples=200, deadline=None)
@given(books())
def test_plan_is_deterministic_and_legs_numbered(book: tuple) -> None:  # type: ignore[type-arg]
    targets, held, working, lots = book
    a = plan_orders(targets, held, working, lots)
    b = plan_orders(dict(reversed(list(targets.items()))), held, working, lots)
    assert a == b
    assert [o.leg for o in a] == list(range(len(a)))


def test_reversal_splits_into_close_and_open() -> None:
    lots = {"AAA": mapping("AAA", D("1"))}
    plan = plan_orders({"AAA": D("-5")}, {"AAA": D("10")}, {}, lots)
    assert [(o.side, o.qty, o.reduce_only, o.reason) for o in plan] == [
        ("sell", D("10"), True, "reduce"),
        ("sell", D("5"), False, "open"),
    ]


def test_working_orders_count_against_the_delta() -> None:
    lots = {"AAA": mapping("AAA", D("1"))}
    # a working buy of 4 already moves 6 toward 10
    assert [
        (o.side, o.qty)
        for o in plan_orders({"AAA": D("10")}, {"AAA": D("6")}, {"AAA": D("4")}, lots)
    ] == []
    # a working sell of 6 already claims 6 of the 10 held: reduce-only may take the other 4 only
    plan = plan_orders({"AAA": D("-10")}, {"AAA": D("10")}, {"AAA": D("-6")}, lots)
    assert [(o.side, o.qty, o.reduce_only) for o in plan] == [
        ("sell", D("4"), True),
        ("sell", D("10"), False),
    ]


def test_lot_rounding_toward_zero() -> None:
    lots = {"MBT": mapping("MBT", D("0.1"))}
    assert plan_orders({"MBT": D("0.37")}, {}, {}, lots)[0].qty == D("0.3")
    assert plan_orders({"MBT": D("-0.37")}, {}, {}, lots)[0].qty == D("0.3")
    assert plan_orders({"MBT": D("0.05")}, {}, {}, lots) == []
    assert round_to_lot(D("-7.9"), D("2")) == D("-6")


def test_symbols_not_targeted_are_left_alone_and_missing_map_is_refused() -> None:
    lots = {"AAA": mapping("AAA", D("1"))}
    assert plan_orders({}, {"AAA": D("10")}, {}, lots) == []
    with pytest.raises(PlanError, match="instrument_map"):
        plan_orders({"ZZZ": D("1")}, {}, {}, lots)


@settings(max_examples=300, deadline=None)
@given(
    env=st.sampled_from(["paper", "live"]),
    dep=st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=80)),
    seq=st.integers(0, 10**10),
    legs=st.integers(1, 200),
)
def test_client_ids_deterministic_unique_short(env: str, dep: str, seq: int, legs: int) -> None:
    ids = [client_order_id(env, dep, seq, leg) for leg in range(legs)]
    assert ids == [client_order_id(env, dep, seq, leg) for leg in range(legs)]
    assert len(set(ids)) == legs
    assert all(len(i) <= MAX_CLIENT_ID for i in ids)
    assert all(i[0] == env[0] for i in ids)
    ref = parse_client_order_id(ids[-1])
    assert ref is not None
    assert (ref.environment, ref.snapshot_seq, ref.leg) == (env, seq, legs - 1)
    # another snapshot never collides
    assert client_order_id(env, dep, seq + 1, 0) not in ids


def test_client_id_refusals() -> None:
    with pytest.raises(PlanError):
        client_order_id("demo", "x", 1, 0)
    with pytest.raises(PlanError):
        client_order_id("paper", "x", -1, 0)
    with pytest.raises(PlanError, match="longer"):
        client_order_id("paper", "x", 10**20, 10**5)
    assert parse_client_order_id("manual-123") is None
