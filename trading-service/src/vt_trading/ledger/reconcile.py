"""Reconciliation: classify every difference between our books and the broker's (pure).

The broker is the truth about the account, we are the truth about attribution (TRADING.md).
`classify` compares positions, open orders and executions since a watermark and names each
difference with a `ReconcileClass`:

- ``missing_fill_ours``: the broker executed one of our orders and we have no such fill →
  import it (`apply_imports`);
- ``missing_fill_unattributed``: an execution none of our orders explains → the unattributed
  bucket, halts;
- ``orphan_order``: we think an order is working, the broker does not have it and no execution
  explains it → mark it done (cancelled/expired at the broker), open a warning;
- ``unknown_order``: the broker has a working order we do not → halts;
- ``ambiguous``: a submission whose outcome we do not know, and the broker shows nothing of it →
  halts; never re-sent (a person decides);
- ``position_break``: after the imports the quantities still differ by more than the tolerance
  → halts;
- ``matched``: one per symbol whose position agrees, and one per pending order the broker
  turned out to have (adopt it).

Nothing here ever proposes to send an order. The result depends only on the inputs, in a fixed
order, so reconciling twice gives the same answer, and after `apply_imports` the imports are gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from vt_contracts.trading import ReconcileClass, ReconcileItem

Side = Literal["buy", "sell"]
ZERO = Decimal(0)
HALTING: frozenset[ReconcileClass] = frozenset(
    {"missing_fill_unattributed", "unknown_order", "ambiguous", "position_break"}
)
"""Classes that halt the account and open an exception for a person."""


@dataclass(frozen=True)
class OpenOrderView:
    """A working order: ``qty_remaining`` is what is still to fill."""

    client_order_id: str
    symbol: str
    side: Side
    qty_remaining: Decimal


@dataclass(frozen=True)
class ExecutionView:
    """One execution (fill) report; ``client_order_id`` None when the broker gives none."""

    execution_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    ts: datetime | None = None

    @property
    def signed_qty(self) -> Decimal:
        return self.qty if self.side == "buy" else -self.qty


@dataclass(frozen=True)
class ReconcileInput:
    """One side of the comparison.

    ``positions``: signed quantity per symbol at account level (ours: attributed plus the
    unattributed bucket). ``executions``: since the same watermark on both sides. For our side
    only: ``known_orders`` is every client order id we issued (any state), ``pending`` the ones
    whose submission outcome is unknown (``submitting`` / ``unknown``).
    """

    positions: Mapping[str, Decimal]
    open_orders: Sequence[OpenOrderView] = ()
    executions: Sequence[ExecutionView] = ()
    known_orders: frozenset[str] = field(default_factory=frozenset)
    pending: frozenset[str] = field(default_factory=frozenset)


def _item(
    kind: ReconcileClass,
    symbol: str | None,
    detail: str,
    *,
    client_order_id: str | None = None,
    execution_id: str | None = None,
    qty: Decimal | None = None,
) -> ReconcileItem:
    return ReconcileItem(
        kind=kind,
        symbol=symbol,
        detail=detail,
        client_order_id=client_order_id,
        execution_id=execution_id,
        qty=qty,
        halts=kind in HALTING,
    )


def classify(
    ours: ReconcileInput, broker: ReconcileInput, tolerance: Decimal = ZERO
) -> list[ReconcileItem]:
    """Every difference between ``ours`` and ``broker``, classified (see the module doc).

    Order: executions (by time, then id), broker-only orders, our orders, then positions by
    symbol.
    """
    items: list[ReconcileItem] = []
    our_exec = {e.execution_id for e in ours.executions}
    ours_ids = ours.known_orders | ours.pending | {o.client_order_id for o in ours.open_orders}
    our_open = {o.client_order_id: o for o in ours.open_orders}
    broker_open = {o.client_order_id: o for o in broker.open_orders}
    explained: dict[str, Decimal] = {}  # symbol -> signed qty the missing fills explain
    executed: dict[str, Decimal] = {}  # client id -> qty the broker executed (missing fills)
    seen: set[str] = set()
    for e in sorted(broker.executions, key=_exec_key):
        if e.execution_id in our_exec or e.execution_id in seen:
            continue
        seen.add(e.execution_id)
        explained[e.symbol] = explained.get(e.symbol, ZERO) + e.signed_qty
        if e.client_order_id is not None and e.client_order_id in ours_ids:
            executed[e.client_order_id] = executed.get(e.client_order_id, ZERO) + e.qty
            items.append(
                _item(
                    "missing_fill_ours",
                    e.symbol,
                    f"the broker executed {e.side} {e.qty} {e.symbol} at {e.price} for our order "
                    f"{e.client_order_id}; import the fill",
                    client_order_id=e.client_order_id,
                    execution_id=e.execution_id,
                    qty=e.signed_qty,
                )
            )
        else:
            items.append(
                _item(
                    "missing_fill_unattributed",
                    e.symbol,
                    f"execution {e.execution_id} ({e.side} {e.qty} {e.symbol} at {e.price}) is not "
                    "from any of our orders: booked to the unattributed bucket; trading halted",
                    client_order_id=e.client_order_id,
                    execution_id=e.execution_id,
                    qty=e.signed_qty,
                )
            )
    for cid in sorted(broker_open):
        o = broker_open[cid]
        if cid in our_open:
            continue
        if cid in ours.pending:
            items.append(
                _item(
                    "matched",
                    o.symbol,
                    f"order {cid}, whose submission outcome was unknown, is working at the broker: "
                    "adopt it as accepted",
                    client_order_id=cid,
                )
            )
            continue
        why = (
            "is ours but we hold it as finished"
            if cid in ours.known_orders
            else "was not placed by this system"
        )
        items.append(
            _item(
                "unknown_order",
                o.symbol,
                f"the broker has a working {o.side} order {cid} for {o.qty_remaining} {o.symbol} "
                f"that {why}; trading halted, nothing is cancelled automatically",
                client_order_id=cid,
                qty=o.qty_remaining if o.side == "buy" else -o.qty_remaining,
            )
        )
    for cid in sorted(set(our_open) | (ours.pending - set(our_open))):
        if cid in broker_open:
            continue
        done = executed.get(cid, ZERO)
        if cid in our_open:
            o = our_open[cid]
            if done >= o.qty_remaining:
                continue  # the imported fills complete it
            items.append(
                _item(
                    "orphan_order",
                    o.symbol,
                    f"our order {cid} ({o.side} {o.qty_remaining} {o.symbol}) is not working at the "
                    f"broker and executions explain {done} of it: mark it closed; it is not re-sent",
                    client_order_id=cid,
                    qty=o.qty_remaining - done,
                )
            )
        elif done == 0:
            items.append(
                _item(
                    "ambiguous",
                    None,
                    f"the outcome of submitting order {cid} is unknown and the broker shows neither "
                    "a working order nor an execution for it; trading halted, nothing is re-sent",
                    client_order_id=cid,
                )
            )
    for sym in sorted(set(ours.positions) | set(broker.positions) | set(explained)):
        mine = ours.positions.get(sym, ZERO) + explained.get(sym, ZERO)
        theirs = broker.positions.get(sym, ZERO)
        diff = theirs - mine
        if abs(diff) <= tolerance:
            if mine != 0 or theirs != 0:
                items.append(_item("matched", sym, f"{sym}: {theirs} at the broker and ours"))
            continue
        items.append(
            _item(
                "position_break",
                sym,
                f"{sym}: the broker holds {theirs}, our books {mine} after the missing fills "
                f"(difference {diff}, tolerance {tolerance}); trading halted",
                qty=diff,
            )
        )
    return items


def _exec_key(e: ExecutionView) -> tuple[str, str]:
    return (e.ts.isoformat() if e.ts is not None else "", e.execution_id)


def halts(items: Sequence[ReconcileItem]) -> bool:
    """True when any finding halts the account."""
    return any(i.halts for i in items)


def resolve(
    ours: ReconcileInput, broker: ReconcileInput, items: Sequence[ReconcileItem]
) -> ReconcileInput:
    """Our side after the automatic actions ``items`` call for: missing fills imported (ours and
    unattributed alike, positions being account level), pending orders the broker has adopted,
    orphan orders closed, fully filled orders no longer working. Halting findings stay for a
    person. Resolving the same items twice changes nothing."""
    by_id = {e.execution_id: e for e in broker.executions}
    broker_open = {o.client_order_id: o for o in broker.open_orders}
    have = {e.execution_id for e in ours.executions}
    executions = list(ours.executions)
    positions = dict(ours.positions)
    filled: dict[str, Decimal] = {}
    adopted: list[OpenOrderView] = []
    orphans: set[str] = set()
    settled: set[str] = set()
    for it in items:
        if it.kind in ("missing_fill_ours", "missing_fill_unattributed"):
            e = by_id.get(it.execution_id or "")
            if e is None or e.execution_id in have:
                continue
            have.add(e.execution_id)
            executions.append(e)
            positions[e.symbol] = positions.get(e.symbol, ZERO) + e.signed_qty
            if it.kind == "missing_fill_ours" and e.client_order_id is not None:
                filled[e.client_order_id] = filled.get(e.client_order_id, ZERO) + e.qty
                settled.add(e.client_order_id)
        elif it.kind == "matched" and it.client_order_id in broker_open:
            adopted.append(broker_open[it.client_order_id])
            settled.add(it.client_order_id)
        elif it.kind == "orphan_order" and it.client_order_id is not None:
            orphans.add(it.client_order_id)
    open_orders: list[OpenOrderView] = []
    for o in ours.open_orders:
        left = o.qty_remaining - filled.get(o.client_order_id, ZERO)
        if o.client_order_id not in orphans and left > 0:
            open_orders.append(replace(o, qty_remaining=left))
    listed = {o.client_order_id for o in open_orders}
    # an adopted order is as the broker reports it (its fills already counted there)
    open_orders += [o for o in adopted if o.client_order_id not in listed]
    return ReconcileInput(
        positions=positions,
        open_orders=tuple(open_orders),
        executions=tuple(executions),
        known_orders=ours.known_orders | settled,
        pending=ours.pending - settled,
    )
