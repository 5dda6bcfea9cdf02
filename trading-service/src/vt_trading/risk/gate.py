"""The pre-order risk gate: one pure function run before every order (TRADING.md, Risk).

Checks, in this order: kill switch and risk state → overrides (no-trading, close-only,
reduce-only at account / deployment / instrument level) → instrument allow-list → max position
→ max gross exposure → daily loss limit → max order notional → order rate → price band around
the last price. The decision is ``allow``, ``clip`` (a smaller quantity, the largest lot
multiple every check accepts) or ``deny``, with the reason code of the binding check (the one
that set the final quantity; checks that come later never loosen an earlier cut).

An order is split into the part that reduces the position (down to flat) and the part that
opens new risk. The reducing part always passes, except under a no-trading override: cutting
risk must stay possible when everything else is stopped (a kill's flatten, a halted account).
Positions are taken *with* the other working orders (``position + working``), so include the
legs of the same plan already accepted in ``working`` when checking the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from vt_contracts.trading import InstrumentMapping, OrderType, RiskDecisionKind, RiskLimits
from vt_trading.ledger.planner import PlannedOrder

Side = Literal["buy", "sell"]
OverrideMode = Literal["no_trading", "close_only", "reduce_only"]
OverrideLevel = Literal["account", "deployment", "instrument"]
ZERO = Decimal(0)
HUNDRED = Decimal(100)

REASONS: dict[str, str] = {
    "ok": "every check passed",
    "reduces_risk": "the order only reduces a position",
    "bad_quantity": "the quantity is not positive",
    "killed": "the kill switch is on",
    "halted": "the account is halted",
    "paused": "trading is paused",
    "reducing": "the account only reduces risk",
    "risk_state_unknown": "the risk state is unknown (fail closed)",
    "override_no_trading": "a no-trading override is set",
    "override_close_only": "a close-only override is set",
    "override_reduce_only": "a reduce-only override is set",
    "reduce_only_order": "the order is reduce-only",
    "instrument_not_allowed": "the instrument is not on the allow-list",
    "no_equity": "the account equity is not positive",
    "no_price": "no last price to value the order",
    "max_position": "the position limit",
    "max_gross_exposure": "the gross exposure limit",
    "daily_loss_limit": "today's loss limit",
    "max_order_notional": "the order notional limit",
    "order_rate": "the order rate limit",
    "price_band": "the price band around the last price",
}
"""Every reason code the gate gives, with a short human meaning."""


@dataclass(frozen=True)
class Override:
    """A person's restriction: ``target`` is the deployment id or the symbol (None: account)."""

    mode: OverrideMode
    level: OverrideLevel = "account"
    target: str | None = None


@dataclass(frozen=True)
class ProposedOrder:
    """An order before it is sent (quantity positive; direction in ``side``)."""

    symbol: str
    side: Side
    qty: Decimal
    type: OrderType = "market"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    reduce_only: bool = False
    deployment_id: str | None = None

    @classmethod
    def from_planned(cls, planned: PlannedOrder, deployment_id: str | None) -> ProposedOrder:
        """A market order from a planner leg."""
        return cls(
            symbol=planned.symbol,
            side=planned.side,
            qty=planned.qty,
            reduce_only=planned.reduce_only,
            deployment_id=deployment_id,
        )


@dataclass(frozen=True)
class RiskContext:
    """What the gate knows about the account when an order is proposed.

    ``positions`` and ``working`` are signed quantities per traded symbol (account level:
    attributed and unattributed); ``last_prices`` value them (for a paper fill: the open print
    of the fill bar). ``realized_today`` / ``unrealized_today`` are today's P&L (the unrealised
    part as its change since the day started). ``risk_state`` is the breaker state name; any
    other value fails closed. ``instruments`` gives multiplier, lot size and inverse per traded
    symbol (missing: multiplier 1, lot = the order quantity's last decimal place, at most 1).
    """

    equity: Decimal
    positions: Mapping[str, Decimal]
    last_prices: Mapping[str, Decimal]
    limits: RiskLimits
    risk_state: str
    day_start_equity: Decimal
    realized_today: Decimal = ZERO
    unrealized_today: Decimal = ZERO
    orders_last_minute: int = 0
    working: Mapping[str, Decimal] = field(default_factory=dict)
    overrides: Sequence[Override] = ()
    allow_list: frozenset[str] | None = None
    """None: every instrument allowed."""
    instruments: Mapping[str, InstrumentMapping] = field(default_factory=dict)
    deployment_risk_state: str | None = None
    """The deployment's own breaker state, if it has one (the more severe of the two applies)."""


@dataclass(frozen=True)
class RiskDecision:
    """The gate's verdict; record it with the order whatever it is."""

    kind: RiskDecisionKind
    qty: Decimal
    reason_code: str
    detail: str


_STATE_SEVERITY = {"active": 0, "reducing": 1, "paused": 2, "halted": 3, "killed": 4}


def _floor_lot(qty: Decimal, lot: Decimal) -> Decimal:
    if qty <= 0:
        return ZERO
    return (qty / lot).to_integral_value(rounding=ROUND_DOWN) * lot


def _default_lot(qty: Decimal) -> Decimal:
    exp = qty.as_tuple().exponent
    return Decimal(1).scaleb(min(0, exp if isinstance(exp, int) else 0))


def _state(ctx: RiskContext) -> tuple[str, str]:
    """(effective state, reason code when it blocks new risk)."""
    names = [ctx.risk_state] + (
        [ctx.deployment_risk_state] if ctx.deployment_risk_state is not None else []
    )
    if any(n not in _STATE_SEVERITY for n in names):
        return "unknown", "risk_state_unknown"
    worst = max(names, key=lambda n: _STATE_SEVERITY[n])
    return worst, worst


class _Run:
    """Running allowance; remembers the check that set the final quantity (the binding one:
    the last cut, which for a deny is the check that brought it to zero)."""

    def __init__(self, close: Decimal, open_: Decimal) -> None:
        self.close = close
        self.open = open_
        self.binding: tuple[str, str] = ("ok", "")

    def cut_open(self, to: Decimal, code: str, detail: str) -> None:
        to = max(ZERO, to)
        if to < self.open:
            self.open = to
            self.binding = (code, detail)

    def deny_all(self, code: str, detail: str) -> None:
        if self.close > 0 or self.open > 0:
            self.close = self.open = ZERO
            self.binding = (code, detail)


def check_order(ctx: RiskContext, order: ProposedOrder) -> RiskDecision:
    """Allow, clip or deny ``order`` in the context ``ctx`` (pure; see the module doc)."""
    if order.qty <= 0:
        return RiskDecision("deny", ZERO, "bad_quantity", f"quantity {order.qty} must be positive")
    sym = order.symbol
    terms = ctx.instruments.get(sym)
    lot = terms.lot_size if terms is not None else _default_lot(order.qty)
    s = 1 if order.side == "buy" else -1
    p0 = ctx.positions.get(sym, ZERO) + ctx.working.get(sym, ZERO)
    closing = min(order.qty, abs(p0)) if s * p0 < 0 else ZERO
    run = _Run(closing, order.qty - closing)

    # 1. kill switch and risk state: only reducing passes unless active
    state, code = _state(ctx)
    if state != "active":
        run.cut_open(ZERO, code, f"risk state is {state}: only orders that reduce a position pass")
    # 2. overrides
    for ov in ctx.overrides:
        if not _applies(ov, order):
            continue
        where = ov.level if ov.target is None else f"{ov.level} {ov.target}"
        if ov.mode == "no_trading":
            run.deny_all(
                "override_no_trading", f"no-trading override on {where}: nothing may be sent"
            )
        else:
            run.cut_open(
                ZERO,
                f"override_{ov.mode}",
                f"{ov.mode.replace('_', '-')} override on {where}: only reducing orders pass",
            )
    if order.reduce_only:
        run.cut_open(
            ZERO,
            "reduce_only_order",
            f"reduce-only order larger than the position ({abs(p0)}): clipped to it",
        )
    if run.open > 0:
        _new_risk_checks(ctx, order, run, p0, lot)

    allowed = run.close + run.open
    if allowed == order.qty:
        code = "ok" if run.open > 0 else "reduces_risk"
        return RiskDecision("allow", allowed, code, REASONS[code])
    code, detail = run.binding
    if allowed == 0:
        return RiskDecision("deny", ZERO, code, detail)
    return RiskDecision(
        "clip", allowed, code, f"{detail}; quantity clipped from {order.qty} to {allowed}"
    )


def _applies(ov: Override, order: ProposedOrder) -> bool:
    if ov.level == "account":
        return True
    if ov.level == "deployment":
        return ov.target is not None and ov.target == order.deployment_id
    return ov.target == order.symbol


def _unit(ctx: RiskContext, sym: str, price: Decimal) -> Decimal:
    """Value of one unit in the account currency (inverse: the contract's face value)."""
    terms = ctx.instruments.get(sym)
    mult = terms.multiplier if terms is not None else Decimal(1)
    return mult if terms is not None and terms.inverse else price * mult


def _new_risk_checks(
    ctx: RiskContext,
    order: ProposedOrder,
    run: _Run,
    p0: Decimal,
    lot: Decimal,
) -> None:
    sym = order.symbol
    lim = ctx.limits
    # 3. allow-list
    if ctx.allow_list is not None and sym not in ctx.allow_list:
        run.cut_open(ZERO, "instrument_not_allowed", f"{sym} is not on the account's allow-list")
        return
    price = ctx.last_prices.get(sym)
    if ctx.equity <= 0:
        run.cut_open(ZERO, "no_equity", f"account equity is {ctx.equity}: no new risk")
        return
    if price is None or price <= 0:
        run.cut_open(ZERO, "no_price", f"no last price for {sym}: cannot value the order")
        return
    unit = _unit(ctx, sym, price)
    # the position the opening part adds to: flat if the order crosses zero
    base = ZERO if run.close > 0 else abs(p0)
    # 4. max position
    cap = ctx.equity * Decimal(str(lim.max_position_pct)) / HUNDRED
    room = _floor_lot((cap - base * unit) / unit, lot)
    run.cut_open(
        room,
        "max_position",
        f"{sym} position would exceed {lim.max_position_pct}% of equity ({cap:.2f})",
    )
    # 5. max gross exposure (other symbols with their working orders)
    gross_cap = ctx.equity * Decimal(str(lim.max_gross_exposure_pct)) / HUNDRED
    other = ZERO
    for osym in set(ctx.positions) | set(ctx.working):
        if osym == sym:
            continue
        q = ctx.positions.get(osym, ZERO) + ctx.working.get(osym, ZERO)
        if q == 0:
            continue
        opx = ctx.last_prices.get(osym)
        if opx is None or opx <= 0:
            run.cut_open(ZERO, "no_price", f"no last price for {osym}: cannot value gross exposure")
            return
        other += abs(q) * _unit(ctx, osym, opx)
    room = _floor_lot((gross_cap - other - base * unit) / unit, lot)
    run.cut_open(
        room,
        "max_gross_exposure",
        f"gross exposure would exceed {lim.max_gross_exposure_pct}% of equity ({gross_cap:.2f})",
    )
    # 6. daily loss limit
    start = ctx.day_start_equity if ctx.day_start_equity > 0 else ctx.equity
    loss = -(ctx.realized_today + ctx.unrealized_today)
    limit = start * Decimal(str(lim.daily_loss_limit_pct)) / HUNDRED
    if loss >= limit:
        run.cut_open(
            ZERO,
            "daily_loss_limit",
            f"today's loss {loss:.2f} reached {lim.daily_loss_limit_pct}% of the day's start equity ({limit:.2f})",
        )
    # 7. max order notional (the reducing part counts toward the order's size)
    if lim.max_order_notional is not None:
        max_qty = _floor_lot(lim.max_order_notional / unit, lot)
        run.cut_open(
            max_qty - run.close,
            "max_order_notional",
            f"order value would exceed the {lim.max_order_notional} notional limit",
        )
    # 8. order rate
    if ctx.orders_last_minute >= lim.max_orders_per_minute:
        run.cut_open(
            ZERO,
            "order_rate",
            f"{ctx.orders_last_minute} orders in the last minute (limit {lim.max_orders_per_minute})",
        )
    # 9. price band for priced orders
    for what, px in (("limit", order.limit_price), ("stop", order.stop_price)):
        if px is None:
            continue
        off = abs(px - price) / price * HUNDRED
        if off > Decimal(str(lim.price_band_pct)):
            run.cut_open(
                ZERO,
                "price_band",
                f"{what} price {px} is {off:.2f}% from the last price {price} (band {lim.price_band_pct}%)",
            )
