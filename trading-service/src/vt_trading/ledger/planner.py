"""Order plan: target positions -> order deltas with deterministic client order ids (pure).

``delta = target - attributed position - working quantity``, rounded toward zero to the lot
size, so the plan never overshoots a target. A delta that reduces what is held goes out as a
``reduce_only`` leg no larger than the position that working orders have not already claimed;
whatever is left (a reversal's new side, or an increase) is a separate opening leg.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from vt_contracts.trading import Environment, InstrumentMapping

Side = Literal["buy", "sell"]
ZERO = Decimal(0)
MAX_CLIENT_ID = 36
"""Longest client order id every venue accepts (Binance clientOrderId, IB orderRef)."""
_ENV_LETTER: dict[str, str] = {"paper": "p", "live": "l"}
_CLIENT_ID = re.compile(r"^([pl])([0-9a-f]{16})-(\d+)-(\d+)$")


class PlanError(ValueError):
    """The plan cannot be made from these inputs (the message says what to fix)."""


@dataclass(frozen=True)
class PlannedOrder:
    """One market order leg of a plan (quantity positive, direction in ``side``)."""

    symbol: str
    side: Side
    qty: Decimal
    reduce_only: bool
    leg: int
    """Position of the leg in the whole plan (0, 1, ...): part of the client order id."""
    reason: Literal["reduce", "open", "increase"]

    @property
    def signed_qty(self) -> Decimal:
        return self.qty if self.side == "buy" else -self.qty


def round_to_lot(qty: Decimal, lot: Decimal) -> Decimal:
    """Round a signed quantity toward zero to a multiple of ``lot``."""
    if lot <= 0:
        raise PlanError(f"lot size must be positive, got {lot}")
    return (qty / lot).to_integral_value(rounding=ROUND_DOWN) * lot


def _sign(x: Decimal) -> int:
    return (x > 0) - (x < 0)


def plan_orders(
    targets: Mapping[str, Decimal],
    attributed: Mapping[str, Decimal],
    working: Mapping[str, Decimal],
    lots: Mapping[str, InstrumentMapping],
) -> list[PlannedOrder]:
    """Orders that move each symbol in ``targets`` from where it stands to its target.

    ``targets``: signed target quantity per traded symbol (symbols not listed are left alone;
    pass 0 to flatten). ``attributed``: signed position held by this deployment. ``working``:
    signed net quantity of its orders still working at the broker. ``lots``: the instrument
    terms per traded symbol (``lot_size`` used). Legs come sorted by symbol, a reduce leg before
    an opening leg, numbered across the plan.
    """
    out: list[PlannedOrder] = []
    for sym in sorted(targets):
        terms = lots.get(sym)
        if terms is None:
            raise PlanError(
                f"no instrument mapping for '{sym}'; add it to the deployment's instrument_map"
            )
        held = attributed.get(sym, ZERO)
        pending = working.get(sym, ZERO)
        expected = held + pending
        delta = round_to_lot(targets[sym] - expected, terms.lot_size)
        if delta == 0:
            continue
        # Quantity a reduce-only order may still take off: what is held, minus what working
        # orders already reduce (they would otherwise make the reduce-only leg oversell).
        reducible = ZERO
        if held != 0 and _sign(expected) == _sign(held):
            reducible = min(abs(held), abs(expected))
        reduce_qty = ZERO
        if _sign(delta) == -_sign(held):
            reduce_qty = round_to_lot(min(abs(delta), reducible), terms.lot_size)
        rest = abs(delta) - reduce_qty
        side: Side = "buy" if delta > 0 else "sell"
        if reduce_qty > 0:
            out.append(PlannedOrder(sym, side, reduce_qty, True, len(out), "reduce"))
        if rest > 0:
            reason: Literal["open", "increase"] = (
                "increase" if _sign(expected) == _sign(delta) else "open"
            )
            out.append(PlannedOrder(sym, side, rest, False, len(out), reason))
    return out


def deployment_short(deployment_id: str) -> str:
    """16 hex characters naming a deployment: its UUID's first 16, else a SHA-256 prefix."""
    try:
        return uuid.UUID(deployment_id).hex[:16]
    except ValueError:
        return hashlib.sha256(deployment_id.encode()).hexdigest()[:16]


def client_order_id(env: Environment | str, deployment_id: str, snapshot_seq: int, leg: int) -> str:
    """Deterministic client order id ``<env letter><deployment short>-<snapshot>-<leg>``.

    The same inputs always give the same id, so a re-sent order is recognised by the broker and
    by reconciliation; at most 36 characters of ``[a-z0-9-]``.
    """
    letter = _ENV_LETTER.get(env)
    if letter is None:
        raise PlanError(f"environment must be 'paper' or 'live', got {env!r}")
    if snapshot_seq < 0 or leg < 0:
        raise PlanError(f"snapshot ({snapshot_seq}) and leg ({leg}) must be >= 0")
    out = f"{letter}{deployment_short(deployment_id)}-{snapshot_seq}-{leg}"
    if len(out) > MAX_CLIENT_ID:
        raise PlanError(
            f"client order id '{out}' is longer than {MAX_CLIENT_ID} characters; "
            "snapshot sequence or leg is too large"
        )
    return out


@dataclass(frozen=True)
class ClientOrderRef:
    """The parts of one of our client order ids."""

    environment: Environment
    deployment_short: str
    snapshot_seq: int
    leg: int


def parse_client_order_id(value: str) -> ClientOrderRef | None:
    """The parts of an id made by `client_order_id`; None for anything else (not ours)."""
    m = _CLIENT_ID.match(value)
    if m is None:
        return None
    env: Environment = "paper" if m.group(1) == "p" else "live"
    return ClientOrderRef(env, m.group(2), int(m.group(3)), int(m.group(4)))
