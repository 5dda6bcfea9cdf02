"""Positions and P&L from fills: multipliers 0.1, 50, 100, inverse; idempotent fills; round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vt_trading.ledger.positions import (
    LedgerFill,
    PositionState,
    apply_fill,
    apply_fills,
    mark,
    market_value,
    round_trips,
    signed_qty,
    split_overfill,
)

D = Decimal
T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
TOL = D("1e-20")
MULTS = [D("0.1"), D("1"), D("50"), D("100")]


@st.composite
def fill_seqs(draw: st.DrawFn, max_size: int = 30) -> list[LedgerFill]:
    n = draw(st.integers(1, max_size))
    out = []
    for i in range(n):
        out.append(
            LedgerFill(
                execution_id=f"x{i}",
                side=draw(st.sampled_from(["buy", "sell"])),
                qty=D(draw(st.integers(1, 1000))) * D(draw(st.sampled_from(["1", "0.1", "0.001"]))),
                price=D(draw(st.integers(100, 10_000_000))) / 100,
                fees=D(draw(st.integers(0, 500))) / 100,
                symbol="S",
                ts=T0 + timedelta(minutes=i),
            )
        )
    return out


def mtm(fills: list[LedgerFill], mark_price: Decimal, m: Decimal, inverse: bool) -> Decimal:
    """P&L from cash flows: what the fills paid/received plus the open position at the mark."""
    total = D(0)
    q = D(0)
    for f in fills:
        d = signed_qty(f.side, f.qty)
        q += d
        total -= f.fees
        if inverse:
            total += d * m / f.price
        else:
            total -= d * f.price * m
    if inverse:
        total -= q * m / mark_price
    else:
        total += q * mark_price * m
    return total


@settings(max_examples=400, deadline=None)
@given(
    fills=fill_seqs(),
    m=st.sampled_from(MULTS),
    inverse=st.booleans(),
    mark_cents=st.integers(100, 10_000_000),
)
def test_realised_plus_unrealised_is_mark_to_market(
    fills: list[LedgerFill], m: Decimal, inverse: bool, mark_cents: int
) -> None:
    px = D(mark_cents) / 100
    pos, realised, applied = apply_fills(PositionState(), fills, m, inverse)
    assert applied == [f.execution_id for f in fills]
    assert pos.realized_pnl == realised
    total = realised + mark(pos, px, m, inverse)
    assert abs(total - mtm(fills, px, m, inverse)) <= TOL * max(D(1), abs(total))
    # position = sum of fills
    assert pos.qty == sum((signed_qty(f.side, f.qty) for f in fills), D(0))
    assert pos.fees == sum((f.fees for f in fills), D(0))


@settings(max_examples=300, deadline=None)
@given(fills=fill_seqs(), m=st.sampled_from(MULTS), inverse=st.booleans())
def test_closing_flat_has_zero_unrealised(
    fills: list[LedgerFill], m: Decimal, inverse: bool
) -> None:
    pos, _, _ = apply_fills(PositionState(), fills, m, inverse)
    seq = list(fills)
    if pos.qty != 0:
        closing = LedgerFill("close", "sell" if pos.qty > 0 else "buy", abs(pos.qty), D("123.45"))
        pos, _ = apply_fill(pos, closing, m, inverse)
        seq.append(closing)
    assert pos.qty == 0
    assert pos.avg_price == 0
    for px in (D("1"), D("99.99"), D("100000")):
        assert mark(pos, px, m, inverse) == 0
    # once flat every bit of P&L is realised: it equals the cash-flow P&L
    cash = mtm(seq, D(1), m, inverse)
    assert abs(pos.realized_pnl - cash) <= TOL * max(D(1), abs(cash))


@settings(max_examples=300, deadline=None)
@given(
    fills=fill_seqs(),
    m=st.sampled_from(MULTS),
    inverse=st.booleans(),
    dupes=st.lists(st.integers(0, 29), max_size=10),
)
def test_duplicate_execution_id_is_a_no_op(
    fills: list[LedgerFill], m: Decimal, inverse: bool, dupes: list[int]
) -> None:
    once, pnl_once, _ = apply_fills(PositionState(), fills, m, inverse)
    # a replayed fill arrives again later (after its original): the first one counts
    replayed = [f for i, f in enumerate(fills) for _ in range(1 + dupes.count(i))]
    replayed += [fills[i] for i in dupes if i < len(fills)]
    twice, pnl_twice, applied = apply_fills(PositionState(), replayed, m, inverse)
    assert (twice, pnl_twice) == (once, pnl_once)
    assert len(applied) == len(fills)
    # ids the caller already applied are skipped as well
    again, pnl_again, applied_again = apply_fills(
        once, fills, m, inverse, seen={f.execution_id for f in fills}
    )
    assert again == once
    assert pnl_again == 0
    assert applied_again == []


def test_known_values_with_multipliers() -> None:
    # MBT (multiplier 0.1): long 2 at 60000, sell at 61000 -> 2 x 1000 x 0.1 = 200 - fees
    pos, pnl = apply_fill(
        PositionState(), LedgerFill("a", "buy", D(2), D(60000), D("1.5")), D("0.1")
    )
    assert pnl == D("-1.5")
    assert mark(pos, D(60500), D("0.1")) == D(100)
    pos, pnl = apply_fill(pos, LedgerFill("b", "sell", D(2), D(61000), D("1.5")), D("0.1"))
    assert pnl == D("198.5")
    assert pos.realized_pnl == D(197)
    # ES (50): short 1 at 5000, cover at 4990 -> +500
    pos, _ = apply_fill(PositionState(), LedgerFill("c", "sell", D(1), D(5000)), D(50))
    assert mark(pos, D(4990), D(50)) == D(500)
    # MCL (100): long 3 at 70, sell 5 at 71 -> +300 realised, short 2 opened at 71
    pos, _ = apply_fill(PositionState(), LedgerFill("d", "buy", D(3), D(70)), D(100))
    pos, pnl = apply_fill(pos, LedgerFill("e", "sell", D(5), D(71)), D(100))
    assert pnl == D(300)
    assert (pos.qty, pos.avg_price) == (D(-2), D(71))
    # inverse (BTC-USD perpetual, 100 USD per contract): long 1000 at 50000, exit 55000
    pos, _ = apply_fill(PositionState(), LedgerFill("f", "buy", D(1000), D(50000)), D(100), True)
    expected = D(1000) * D(100) * (D(1) / D(50000) - D(1) / D(55000))
    assert abs(mark(pos, D(55000), D(100), True) - expected) < TOL
    assert market_value(D(1000), D(55000), D(100), inverse=True) == D(100000)
    assert market_value(D(-2), D(71), D(100)) == D(-14200)


def test_bad_fills_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        apply_fill(PositionState(), LedgerFill("z", "buy", D(0), D(1)))
    with pytest.raises(ValueError, match="side"):
        apply_fill(PositionState(), LedgerFill("z", "hold", D(1), D(1)))  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(order=st.integers(1, 1000), fills=st.lists(st.integers(1, 400), max_size=10))
def test_fills_never_exceed_the_order(order: int, fills: list[int]) -> None:
    filled = D(0)
    excess_total = D(0)
    for f in fills:
        take, excess = split_overfill(D(order), filled, D(f))
        assert take >= 0
        assert excess >= 0
        assert take + excess == f
        filled += take
        excess_total += excess
        assert filled <= order
    assert filled + excess_total == sum(fills)
    assert filled == min(D(order), D(sum(fills)))


def fill(i: int, side: str, q: str, px: str, fee: str = "0", sym: str = "S") -> LedgerFill:
    return LedgerFill(f"e{i}", side, D(q), D(px), D(fee), sym, T0 + timedelta(days=i))  # type: ignore[arg-type]


def test_round_trips_staged_exits_reversal_and_open() -> None:
    fills = [
        fill(0, "buy", "10", "100", "1"),
        fill(1, "buy", "10", "110", "1"),  # scale-in
        fill(2, "sell", "5", "120", "1"),  # staged take-profit
        fill(3, "sell", "15", "130", "1"),  # final exit
        fill(4, "sell", "4", "125", "2"),  # new short
        fill(5, "buy", "8", "120", "2"),  # reverse: close 4, open 4 long
        fill(5, "buy", "8", "120", "2"),  # duplicate, ignored
        fill(6, "buy", "1", "50", "0", sym="T"),  # still open
    ]
    rts = round_trips(fills)
    assert [(r.symbol, r.direction, r.is_open) for r in rts] == [
        ("S", "long", False),
        ("S", "short", False),
        ("S", "long", True),
        ("T", "long", True),
    ]
    first = rts[0]
    assert first.qty == D(20)
    assert first.entry_price == D(105)
    assert first.exit_price == (5 * D(120) + 15 * D(130)) / 20
    assert first.pnl == 5 * D(15) + 15 * D(25) - 4
    assert first.fills == 4
    assert first.exit_time == T0 + timedelta(days=3)
    short = rts[1]
    assert short.pnl == 4 * D(5) - 2 - 1  # half of the reversing fill's fee
    assert short.exit_time == T0 + timedelta(days=5)
    assert rts[2].qty == D(4)
    assert rts[2].exit_price is None
    assert rts[2].exit_time is None


@settings(max_examples=200, deadline=None)
@given(fills=fill_seqs(), m=st.sampled_from(MULTS))
def test_round_trip_pnl_adds_up_to_realised(fills: list[LedgerFill], m: Decimal) -> None:
    pos, _, _ = apply_fills(PositionState(), fills, m)
    rts = round_trips(fills, {"S": m})
    closed = sum((r.pnl for r in rts if not r.is_open), D(0))
    open_fees = sum((r.pnl for r in rts if r.is_open), D(0))  # only its entry fees so far
    assert abs(closed + open_fees - pos.realized_pnl) <= TOL * max(D(1), abs(pos.realized_pnl))
    assert sum(1 for r in rts if r.is_open) == (1 if pos.qty != 0 else 0)
