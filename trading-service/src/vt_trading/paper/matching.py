"""The paper matching engine: pure functions that fill orders against a bar exactly as the
backtest engine (``vt_engine``) fills them (ADR 0005).

* Market orders fill at the bar's open with adverse slippage.
* Stops: an open at or through the level fills at the open, else the bar's range reaching the
  level fills at the level; take-profit limits the same way on the other side. Slippage is
  adverse on every fill (the engine books a take-profit at ``level x (1 - slippage)`` too).
* Stops before limits; limits in price order; a filled stop cancels its OCO siblings.
* Fees = qty x fill x commission + fixed, the engine's formula and float evaluation order.

Prices are kept at full float precision (the engine's arithmetic, operation for operation)
and handed out as ``Decimal(repr(float))``, so a fill equals the backtest's to the last digit.
No I/O: the persisted paper broker (``vt_trading.paper.broker``) calls these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from vt_contracts.strategy import StrategySpec

__all__ = [
    "Bar",
    "CostModel",
    "Execution",
    "PaperOrder",
    "cancelled_siblings",
    "fill_market",
    "match_open_gaps",
    "match_range",
    "to_decimal",
]

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop"]


def to_decimal(x: float) -> Decimal:
    """The exact shortest decimal of a float (``Decimal(repr(x))``): converting back with
    ``float()`` gives the same float."""
    return Decimal(repr(float(x)))


@dataclass(frozen=True)
class PaperOrder:
    """An order at the paper venue; ``qty`` is what is still open (positive)."""

    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    oco_group: str | None = None


@dataclass(frozen=True)
class CostModel:
    """Costs as fractions: ``commission`` of traded value, ``commission_fixed`` per order (account
    currency), ``slippage`` of price, adverse."""

    commission: float = 0.0
    commission_fixed: float = 0.0
    slippage: float = 0.0

    @classmethod
    def from_spec(cls, spec: StrategySpec) -> CostModel:
        """The spec's costs exactly as the engine applies them (``vt_engine.engine.spec_config``)."""
        from vt_engine.engine import spec_config

        cfg = spec_config(spec)
        return cls(cfg.commission, cfg.commission_fixed, cfg.slippage)

    def fill_price(self, side: Side, price: float) -> float:
        """Adverse slippage: buys pay more, sells get less (the engine's expression)."""
        return price * (1.0 + self.slippage) if side == "buy" else price * (1.0 - self.slippage)

    def fee(self, qty: float, fill: float) -> float:
        return qty * fill * self.commission + self.commission_fixed


@dataclass(frozen=True)
class Bar:
    """One OHLCV bar; ``ts`` is the bar's open time (UTC)."""

    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


@dataclass(frozen=True)
class Execution:
    """One fill. ``execution_id`` is deterministic (one fill per paper order)."""

    client_order_id: str
    execution_id: str
    ts: datetime
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fees: Decimal


def _execute(order: PaperOrder, bar: Bar, price: float, costs: CostModel) -> Execution:
    fill = costs.fill_price(order.side, price)
    qty = float(order.qty)
    return Execution(
        client_order_id=order.client_order_id,
        execution_id=f"{order.client_order_id}:1",
        ts=bar.ts,
        symbol=order.symbol,
        side=order.side,
        qty=order.qty,
        price=to_decimal(fill),
        fees=to_decimal(costs.fee(qty, fill)),
    )


def fill_market(orders: Iterable[PaperOrder], bar: Bar, costs: CostModel) -> list[Execution]:
    """Every market order fills in full at the bar's open, with adverse slippage."""
    return [_execute(o, bar, bar.open, costs) for o in orders if o.type == "market" and o.qty > 0]


def _stop_hit(o: PaperOrder, bar: Bar, gaps_only: bool) -> float | None:
    assert o.stop_price is not None
    level = float(o.stop_price)
    if o.side == "sell":  # protects a long: triggers on the way down
        if bar.open <= level:
            return bar.open
        if not gaps_only and bar.low <= level:
            return level
    else:
        if bar.open >= level:
            return bar.open
        if not gaps_only and bar.high >= level:
            return level
    return None


def _limit_hit(o: PaperOrder, bar: Bar, gaps_only: bool) -> float | None:
    assert o.limit_price is not None
    level = float(o.limit_price)
    if o.side == "sell":
        if bar.open >= level:
            return bar.open
        if not gaps_only and bar.high >= level:
            return level
    else:
        if bar.open <= level:
            return bar.open
        if not gaps_only and bar.low <= level:
            return level
    return None


def _price_order(o: PaperOrder) -> Decimal:
    """Sells from the lowest limit up, buys from the highest down: the order the price meets them."""
    level = o.limit_price if o.limit_price is not None else Decimal(0)
    return level if o.side == "sell" else -level


def _match(
    resting: Sequence[PaperOrder], bar: Bar, costs: CostModel, gaps_only: bool
) -> list[Execution]:
    out: list[Execution] = []
    dead: set[str] = set()  # OCO groups closed by a filled stop
    for o in resting:
        if o.type != "stop" or o.stop_price is None or o.qty <= 0:
            continue
        if o.oco_group is not None and o.oco_group in dead:
            continue
        px = _stop_hit(o, bar, gaps_only)
        if px is not None:
            out.append(_execute(o, bar, px, costs))
            if o.oco_group is not None:
                dead.add(o.oco_group)
    # take-profit limits in the order the price reaches them (the engine's stage order)
    limits = [
        o
        for o in resting
        if o.type == "limit"
        and o.limit_price is not None
        and o.qty > 0
        and (o.oco_group is None or o.oco_group not in dead)
    ]
    limits.sort(key=_price_order)
    for o in limits:
        px = _limit_hit(o, bar, gaps_only)
        if px is not None:
            out.append(_execute(o, bar, px, costs))
    return out


def match_open_gaps(resting: Sequence[PaperOrder], bar: Bar, costs: CostModel) -> list[Execution]:
    """The open print: stops and limits the open gapped through fill at the open (stops first;
    a filled stop cancels its OCO siblings)."""
    return _match(resting, bar, costs, gaps_only=True)


def match_range(resting: Sequence[PaperOrder], bar: Bar, costs: CostModel) -> list[Execution]:
    """The bar's range: a stop fills at the open when gapped, else at its level when the low
    (sell) / high (buy) reaches it; then limits in price order at the open or their level. A
    filled stop cancels its OCO siblings (the engine's stop-before-take-profit rule)."""
    return _match(resting, bar, costs, gaps_only=False)


def cancelled_siblings(resting: Sequence[PaperOrder], executions: Iterable[Execution]) -> list[str]:
    """Client order ids of working orders cancelled by the fills: the OCO siblings of a filled
    stop. Together with the filled orders, these are the orders a match has finished."""
    by_id = {o.client_order_id: o for o in resting}
    filled = {e.client_order_id for e in executions}
    groups = {
        by_id[c].oco_group
        for c in filled
        if c in by_id and by_id[c].type == "stop" and by_id[c].oco_group is not None
    }
    return [
        o.client_order_id
        for o in resting
        if o.oco_group in groups and o.client_order_id not in filled
    ]
