"""Positions and P&L from fills (pure, no I/O).

A position is signed (long > 0, short < 0) with an average entry price. Realised P&L is booked
when a fill reduces the position: ``qty x (exit - entry) x multiplier - fees`` for linear
contracts, ``qty x multiplier x (1/entry - 1/exit) - fees`` for inverse contracts (P&L in the
base coin; the average entry of an inverse position is the harmonic mean of the fill prices, so
that P&L stays additive). Fees are always booked as realised when paid.

Idempotency contract for callers: a fill is identified by its execution id; `apply_fills` skips
ids already in ``seen`` (the ids the caller has already applied, e.g. from its unique
``(venue, execution_id)`` index) and duplicates inside the batch, so a replayed fill is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Literal, Protocol

Side = Literal["buy", "sell"]
ZERO = Decimal(0)
ONE = Decimal(1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PREC = 50
"""Working precision: averages are divisions; 50 digits keeps sums exact to far below a cent."""


class FillLike(Protocol):
    """What the ledger needs of a fill (paper `Execution`, ORM row or broker report)."""

    @property
    def execution_id(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def fees(self) -> Decimal: ...


class TimedFillLike(FillLike, Protocol):
    """A fill with its instrument and time (for round trips)."""

    @property
    def symbol(self) -> str: ...
    @property
    def ts(self) -> datetime: ...


@dataclass(frozen=True)
class LedgerFill:
    """A plain fill; any object with these attributes works too (see `FillLike`)."""

    execution_id: str
    side: Side
    qty: Decimal
    price: Decimal
    fees: Decimal = ZERO
    symbol: str = ""
    ts: datetime = EPOCH


@dataclass(frozen=True)
class PositionState:
    """Signed quantity, average entry price, and what it has earned so far."""

    qty: Decimal = ZERO
    avg_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def is_flat(self) -> bool:
        return self.qty == 0


def signed_qty(side: str, qty: Decimal) -> Decimal:
    """+qty for a buy, -qty for a sell; ValueError for anything else."""
    if side == "buy":
        return qty
    if side == "sell":
        return -qty
    raise ValueError(f"fill side must be 'buy' or 'sell', got {side!r}")


def _sign(x: Decimal) -> int:
    return (x > 0) - (x < 0)


def _pnl(
    closed: Decimal, entry: Decimal, exit_: Decimal, direction: int, mult: Decimal, inverse: bool
) -> Decimal:
    """P&L of closing ``closed`` (> 0) units of a position in ``direction`` (+1 long, -1 short)."""
    if inverse:
        return direction * closed * mult * (ONE / entry - ONE / exit_)
    return direction * closed * (exit_ - entry) * mult


def apply_fill(
    position: PositionState, fill: FillLike, multiplier: Decimal = ONE, inverse: bool = False
) -> tuple[PositionState, Decimal]:
    """Apply one fill; returns the new position and the P&L realised by this fill (net of fees).

    A fill that crosses zero closes the position at the fill price and opens the rest at the
    same price.
    """
    if fill.qty <= 0:
        raise ValueError(f"fill {fill.execution_id}: quantity must be positive, got {fill.qty}")
    if fill.price <= 0:
        raise ValueError(f"fill {fill.execution_id}: price must be positive, got {fill.price}")
    with localcontext() as ctx:
        ctx.prec = _PREC
        d = signed_qty(fill.side, fill.qty)
        q, a = position.qty, position.avg_price
        realized = -fill.fees
        if q == 0 or _sign(d) == _sign(q):
            new_q = q + d
            if inverse:  # harmonic mean keeps 1/avg additive
                new_a = abs(new_q) / (abs(q) / a + abs(d) / fill.price) if q else fill.price
            else:
                new_a = (abs(q) * a + abs(d) * fill.price) / abs(new_q)
        else:
            closed = min(abs(d), abs(q))
            realized += _pnl(closed, a, fill.price, _sign(q), multiplier, inverse)
            new_q = q + d
            new_a = ZERO if new_q == 0 else (a if _sign(new_q) == _sign(q) else fill.price)
        out = PositionState(
            qty=new_q,
            avg_price=new_a,
            realized_pnl=position.realized_pnl + realized,
            fees=position.fees + fill.fees,
        )
    return out, realized


def apply_fills(
    position: PositionState,
    fills: Iterable[FillLike],
    multiplier: Decimal = ONE,
    inverse: bool = False,
    *,
    seen: Set[str] = frozenset(),
) -> tuple[PositionState, Decimal, list[str]]:
    """Apply fills in order, skipping execution ids in ``seen`` or repeated in the batch.

    Returns (position, realised P&L of the applied fills, execution ids applied).
    """
    done: set[str] = set()
    applied: list[str] = []
    total = ZERO
    for f in fills:
        if f.execution_id in seen or f.execution_id in done:
            continue
        position, pnl = apply_fill(position, f, multiplier, inverse)
        with localcontext() as ctx:
            ctx.prec = _PREC
            total += pnl
        done.add(f.execution_id)
        applied.append(f.execution_id)
    return position, total, applied


def mark(
    position: PositionState, price: Decimal, multiplier: Decimal = ONE, inverse: bool = False
) -> Decimal:
    """Unrealised P&L of the position at ``price`` (0 when flat)."""
    if position.qty == 0:
        return ZERO
    if price <= 0:
        raise ValueError(f"mark price must be positive, got {price}")
    with localcontext() as ctx:
        ctx.prec = _PREC
        return _pnl(
            abs(position.qty), position.avg_price, price, _sign(position.qty), multiplier, inverse
        )


def market_value(
    qty: Decimal, price: Decimal, multiplier: Decimal = ONE, inverse: bool = False
) -> Decimal:
    """Signed exposure in the quote currency: qty x price x multiplier (inverse: qty x multiplier,
    the contracts' face value)."""
    return qty * multiplier if inverse else qty * price * multiplier


def split_overfill(
    order_qty: Decimal, filled_qty: Decimal, fill_qty: Decimal
) -> tuple[Decimal, Decimal]:
    """(quantity to apply, excess) for a fill on an order: fills never exceed the order.

    The excess is an overfill exception for a person, never a bigger position.
    """
    room = max(ZERO, order_qty - filled_qty)
    take = min(fill_qty, room)
    return take, fill_qty - take


# ------------------------------------------------------------------------------------------
# Round trips (for parity with the backtest's trades)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundTrip:
    """From flat to flat in one direction; partial exits belong to the same round trip."""

    symbol: str
    direction: Literal["long", "short"]
    entry_time: datetime
    exit_time: datetime | None
    qty: Decimal
    """Total quantity entered (scale-ins included)."""
    entry_price: Decimal
    """Quantity-weighted average of the entry fills."""
    exit_price: Decimal | None
    """Quantity-weighted average of the exit fills (None while open)."""
    pnl: Decimal
    """Realised P&L net of every fee of the round trip (entry fees included)."""
    fees: Decimal
    fills: int
    is_open: bool


@dataclass
class _Open:
    direction: int
    entry_time: datetime
    qty_in: Decimal = ZERO
    value_in: Decimal = ZERO
    qty_out: Decimal = ZERO
    value_out: Decimal = ZERO
    exit_time: datetime | None = None
    pnl: Decimal = ZERO
    fees: Decimal = ZERO
    fills: int = 0


def round_trips(
    fills: Sequence[TimedFillLike],
    multipliers: dict[str, Decimal] | None = None,
    inverse: Set[str] = frozenset(),
) -> list[RoundTrip]:
    """Group fills (in time order, any symbols) into round trips per symbol.

    A fill that reverses the position closes the round trip at its price and opens the next one
    with the rest; its fee is shared pro rata by quantity. Duplicate execution ids count once.
    """
    mult = multipliers or {}
    pos: dict[str, PositionState] = {}
    open_: dict[str, _Open] = {}
    out: list[RoundTrip] = []
    seen: set[str] = set()
    with localcontext() as ctx:
        ctx.prec = _PREC
        for f in sorted(fills, key=lambda x: x.ts):
            if f.execution_id in seen:
                continue
            seen.add(f.execution_id)
            sym = f.symbol
            m = mult.get(sym, ONE)
            inv = sym in inverse
            p = pos.get(sym, PositionState())
            d = signed_qty(f.side, f.qty)
            rt = open_.get(sym)
            closing = ZERO if p.qty == 0 or _sign(d) == _sign(p.qty) else min(abs(d), abs(p.qty))
            opening = abs(d) - closing
            if closing > 0:
                assert rt is not None
                share = f.fees * closing / abs(d)
                rt.qty_out += closing
                rt.value_out += closing * f.price
                rt.pnl += _pnl(closing, p.avg_price, f.price, _sign(p.qty), m, inv) - share
                rt.fees += share
                rt.fills += 1
                rt.exit_time = f.ts
            new_p, _ = apply_fill(p, f, m, inv)
            pos[sym] = new_p
            if rt is not None and closing > 0 and (new_p.qty == 0 or opening > 0):
                out.append(_close(sym, rt, is_open=False))
                open_.pop(sym, None)
                rt = None
            if opening > 0:
                share = f.fees * opening / abs(d)
                if rt is None:
                    rt = _Open(direction=_sign(d), entry_time=f.ts)
                    open_[sym] = rt
                rt.qty_in += opening
                rt.value_in += opening * f.price
                rt.pnl -= share
                rt.fees += share
                rt.fills += 1
        out.extend(_close(sym, rt, is_open=True) for sym, rt in open_.items())
    return sorted(out, key=lambda r: (r.entry_time, r.symbol))


def _close(symbol: str, rt: _Open, *, is_open: bool) -> RoundTrip:
    return RoundTrip(
        symbol=symbol,
        direction="long" if rt.direction > 0 else "short",
        entry_time=rt.entry_time,
        exit_time=None if is_open else rt.exit_time,
        qty=rt.qty_in,
        entry_price=rt.value_in / rt.qty_in,
        exit_price=rt.value_out / rt.qty_out if rt.qty_out > 0 else None,
        pnl=rt.pnl,
        fees=rt.fees,
        fills=rt.fills,
        is_open=is_open,
    )
