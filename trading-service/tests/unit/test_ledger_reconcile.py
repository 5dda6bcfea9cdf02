"""Reconciliation: every class, idempotence, and 'reconciling twice changes nothing'."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from vt_trading.ledger.reconcile import (
    HALTING,
    ExecutionView,
    OpenOrderView,
    ReconcileInput,
    classify,
    halts,
    resolve,
)

D = Decimal
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def ex(eid: str, cid: str | None, sym: str, side: str, qty: str, i: int = 0) -> ExecutionView:
    return ExecutionView(eid, cid, sym, side, D(qty), D("100"), T0 + timedelta(seconds=i))  # type: ignore[arg-type]


def oo(cid: str, sym: str, side: str, qty: str) -> OpenOrderView:
    return OpenOrderView(cid, sym, side, D(qty))  # type: ignore[arg-type]


def kinds(items: list) -> list[tuple[str, str | None, str | None]]:  # type: ignore[type-arg]
    return [(i.kind, i.symbol, i.client_order_id) for i in items]


def test_matched_books() -> None:
    e = ex("e1", "p1-1-0", "AAA", "buy", "10")
    ours = ReconcileInput({"AAA": D(10)}, (), (e,), frozenset({"p1-1-0"}))
    broker = ReconcileInput({"AAA": D(10)}, (), (e,))
    items = classify(ours, broker)
    assert kinds(items) == [("matched", "AAA", None)]
    assert not halts(items)


def test_each_class() -> None:
    ours = ReconcileInput(
        positions={"AAA": D(10), "BBB": D(0), "CCC": D(5)},
        open_orders=(oo("p1-2-0", "AAA", "buy", "5"), oo("p1-2-1", "BBB", "sell", "3")),
        executions=(),
        known_orders=frozenset({"p1-1-0", "p1-2-0", "p1-2-1", "p1-0-0"}),
        pending=frozenset({"p1-3-0", "p1-4-0"}),
    )
    broker = ReconcileInput(
        positions={"AAA": D(15), "BBB": D(0), "CCC": D(7), "DDD": D(-1)},
        open_orders=(
            oo("p1-4-0", "CCC", "buy", "1"),  # pending, the broker has it: adopt
            oo("tws-99", "BBB", "buy", "1"),  # placed by a person at the broker
            oo("p1-0-0", "AAA", "sell", "1"),  # ours, but we hold it as finished
        ),
        executions=(
            ex("e1", "p1-2-0", "AAA", "buy", "5", 1),  # our order filled: import
            ex("e2", None, "DDD", "sell", "1", 2),  # nobody's
        ),
    )
    items = classify(ours, broker)
    got = kinds(items)
    assert got == [
        ("missing_fill_ours", "AAA", "p1-2-0"),
        ("missing_fill_unattributed", "DDD", None),
        ("unknown_order", "AAA", "p1-0-0"),
        ("matched", "CCC", "p1-4-0"),
        ("unknown_order", "BBB", "tws-99"),
        ("orphan_order", "BBB", "p1-2-1"),
        ("ambiguous", None, "p1-3-0"),
        ("matched", "AAA", None),
        ("position_break", "CCC", None),
        ("matched", "DDD", None),
    ]
    brk = next(i for i in items if i.kind == "position_break")
    assert brk.qty == D(2)
    assert brk.halts
    amb = next(i for i in items if i.kind == "ambiguous")
    assert "nothing is re-sent" in amb.detail
    assert halts(items)
    assert {i.kind for i in items if i.halts} == HALTING


def test_tolerance() -> None:
    ours = ReconcileInput({"BTC": D("1.00000")})
    broker = ReconcileInput({"BTC": D("1.00004")})
    assert kinds(classify(ours, broker, D("0.0001"))) == [("matched", "BTC", None)]
    assert kinds(classify(ours, broker)) == [("position_break", "BTC", None)]


def test_pending_filled_at_broker_is_not_ambiguous() -> None:
    ours = ReconcileInput({}, pending=frozenset({"p1-5-0"}))
    broker = ReconcileInput({"AAA": D(3)}, executions=(ex("e9", "p1-5-0", "AAA", "buy", "3"),))
    items = classify(ours, broker)
    assert kinds(items) == [("missing_fill_ours", "AAA", "p1-5-0"), ("matched", "AAA", None)]
    after = resolve(ours, broker, items)
    assert after.pending == frozenset()
    assert kinds(classify(after, broker)) == [("matched", "AAA", None)]


SYMS = ["AAA", "BBB", "CCC"]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[ReconcileInput, ReconcileInput]:
    """A broker truth, and our books with some of it missing or wrong."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    start = {s: D(rng.randint(-5, 5)) for s in SYMS}
    broker_pos = dict(start)
    ours_pos = dict(start)
    broker_exec: list[ExecutionView] = []
    ours_exec: list[ExecutionView] = []
    broker_open: list[OpenOrderView] = []
    ours_open: list[OpenOrderView] = []
    known: set[str] = set()
    pending: set[str] = set()
    n = draw(st.integers(0, 12))
    for k in range(n):
        cid = f"p0000000000000001-{k}-0"
        sym = rng.choice(SYMS)
        side = rng.choice(["buy", "sell"])
        qty = D(rng.randint(1, 9))
        sgn = 1 if side == "buy" else -1
        fate = rng.choice(
            ["filled", "partial", "working", "vanished", "pending_lost", "pending_live"]
        )
        known.add(cid)
        filled = {"filled": qty, "partial": qty // 2}.get(fate, D(0))
        if fate == "pending_live":
            filled = D(rng.randint(0, int(qty) - 1))
        if filled:
            e = ExecutionView(f"x{k}", cid, sym, side, filled, D(100), T0 + timedelta(seconds=k))  # type: ignore[arg-type]
            broker_exec.append(e)
            broker_pos[sym] += sgn * filled
            if rng.random() < 0.5:  # we saw it
                ours_exec.append(e)
                ours_pos[sym] += sgn * filled
        seen = {e.execution_id for e in ours_exec}
        ours_filled = filled if f"x{k}" in seen else D(0)
        if fate in ("partial", "working"):
            broker_open.append(OpenOrderView(cid, sym, side, qty - filled))  # type: ignore[arg-type]
        if fate in ("partial", "working", "vanished") or (fate == "filled" and ours_filled < qty):
            ours_open.append(OpenOrderView(cid, sym, side, qty - ours_filled))  # type: ignore[arg-type]
        if fate in ("pending_lost", "pending_live"):
            pending.add(cid)
            known.discard(cid)
            if fate == "pending_live":
                broker_open.append(OpenOrderView(cid, sym, side, qty - filled))  # type: ignore[arg-type]
    for k in range(draw(st.integers(0, 3))):  # activity nobody here placed
        sym = rng.choice(SYMS)
        e = ExecutionView(
            f"m{k}", None, sym, "buy", D(1), D(100), T0 + timedelta(hours=1, seconds=k)
        )
        broker_exec.append(e)
        broker_pos[sym] += 1
        if rng.random() < 0.3:
            broker_open.append(OpenOrderView(f"tws-{k}", sym, "sell", D(2)))
    if draw(st.booleans()):  # a break nothing explains
        ours_pos[rng.choice(SYMS)] += D(rng.choice([-2, 1, 3]))
    rng.shuffle(broker_exec)
    rng.shuffle(broker_open)
    ours = ReconcileInput(
        ours_pos, tuple(ours_open), tuple(ours_exec), frozenset(known), frozenset(pending)
    )
    broker = ReconcileInput(broker_pos, tuple(broker_open), tuple(broker_exec))
    return ours, broker


@settings(max_examples=500, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_classify_is_idempotent_and_order_free(
    world: tuple[ReconcileInput, ReconcileInput], r: random.Random
) -> None:
    ours, broker = world
    first = classify(ours, broker)
    assert classify(ours, broker) == first
    shuffled = list(broker.executions)
    r.shuffle(shuffled)
    opens = list(broker.open_orders)
    r.shuffle(opens)
    again = ReconcileInput(broker.positions, tuple(opens), tuple(shuffled))
    # executions with equal timestamps keep their id order, so the answer does not move
    assert classify(ours, again) == first


@settings(max_examples=500, deadline=None)
@given(worlds())
def test_reconciling_twice_changes_nothing(world: tuple[ReconcileInput, ReconcileInput]) -> None:
    ours, broker = world
    first = classify(ours, broker)
    after = resolve(ours, broker, first)
    second = classify(after, broker)
    # the automatic actions are done: nothing left to import, adopt or close
    assert not [
        i
        for i in second
        if i.kind in ("missing_fill_ours", "missing_fill_unattributed", "orphan_order")
    ]
    assert not [i for i in second if i.kind == "matched" and i.client_order_id is not None]
    # what needs a person is still there, unchanged
    need = [i for i in first if i.kind in ("unknown_order", "ambiguous", "position_break")]
    assert [i for i in second if i.halts] == need
    # and resolving again is a no-op
    assert resolve(after, broker, second) == after
    assert classify(resolve(after, broker, second), broker) == second


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_a_break_is_what_no_execution_explains(
    world: tuple[ReconcileInput, ReconcileInput],
) -> None:
    ours, broker = world
    items = classify(ours, broker)
    breaks = {i.symbol or "": i.qty for i in items if i.kind == "position_break"}
    for sym, diff in breaks.items():
        # a break is exactly what neither side's executions explain
        mine = ours.positions.get(sym, D(0)) + sum(
            (i.qty or D(0) for i in items if i.symbol == sym and i.kind.startswith("missing_fill")),
            D(0),
        )
        assert diff == broker.positions.get(sym, D(0)) - mine
        assert diff != 0
