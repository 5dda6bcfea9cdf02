"""The fake TWS's account book: a contract catalogue, orders, executions, positions and cash.

Pure state with no sockets: the server turns requests into calls here and the results into
wire messages. Quantities and prices are `Decimal` so fills and fees add up to the cent."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

PAPER_ACCOUNT = "DU0000001"

ScriptKind = Literal["fill", "partial", "rest", "reject", "drop", "silent"]


@dataclass(frozen=True)
class ContractSpec:
    """One tradable contract as TWS describes it."""

    con_id: int
    symbol: str
    sec_type: str  # STK | FUT
    exchange: str
    primary_exchange: str
    currency: str
    multiplier: Decimal = Decimal(1)
    last_trade_date: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    min_tick: Decimal = Decimal("0.01")
    long_name: str = ""
    lot: Decimal = Decimal(1)  # board lot (SEHK trades in lots, e.g. 100 shares)


@dataclass
class OrderScript:
    """What the fake does with the next order placed (tests queue these; default: `fill`).

    - ``fill``: fill everything at ``price`` (or the feed) now;
    - ``partial``: fill ``qty`` now and keep the rest working;
    - ``rest``: accept and keep working, unfilled;
    - ``reject``: answer error 201 with ``reason``;
    - ``drop``: take the order, close the client's socket before any answer, and then fill it
      (``then_fill``) while the client is away — only ``reqExecutions`` shows it afterwards;
    - ``silent``: take the order (and fill it, ``then_fill``) but lose every answer to the
      client — no openOrder, orderStatus, execDetails or commissionReport; the socket stays up.
      The client's acknowledgement never comes; ``reqExecutions``, ``reqCompletedOrders`` and
      ``reqPositions`` show what happened.
    """

    kind: ScriptKind = "fill"
    qty: Decimal | None = None
    price: Decimal | None = None
    reason: str = "Order rejected by the fake TWS script"
    then_fill: bool = True


@dataclass
class FakeOrder:
    order_id: int
    client_id: int
    perm_id: int
    contract: ContractSpec
    action: str  # BUY | SELL
    total_qty: Decimal
    order_type: str  # MKT | LMT | STP
    lmt_price: Decimal | None
    aux_price: Decimal | None
    tif: str
    account: str
    order_ref: str
    status: str = "PreSubmitted"
    filled: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    last_fill_price: Decimal = Decimal(0)
    completed_at: datetime | None = None

    @property
    def remaining(self) -> Decimal:
        return self.total_qty - self.filled

    @property
    def done(self) -> bool:
        return self.status in {"Filled", "Cancelled", "Inactive", "ApiCancelled"}


@dataclass
class FakeExecution:
    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    contract: ContractSpec
    side: str  # BOT | SLD
    shares: Decimal
    price: Decimal
    cum_qty: Decimal
    avg_price: Decimal
    order_ref: str
    time: datetime
    account: str
    commission: Decimal
    realized_pnl: Decimal = Decimal(0)


@dataclass
class Position:
    qty: Decimal = Decimal(0)
    avg_cost: Decimal = Decimal(0)  # per contract incl. multiplier, as IB reports it


def _con_id(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:7], 16) + 100_000


def _future_months(today: date, n: int) -> list[date]:
    """The next ``n`` quarterly-agnostic monthly expiries (the 20th of each month)."""
    out = []
    year, month = today.year, today.month
    for _ in range(n + 1):
        expiry = date(year, month, 20)
        if expiry > today:
            out.append(expiry)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out[:n]


STOCKS: dict[str, tuple[str, str]] = {
    "AAPL": ("NASDAQ", "Apple Inc"),
    "MSFT": ("NASDAQ", "Microsoft Corp"),
    "SPY": ("ARCA", "SPDR S&P 500 ETF Trust"),
    "USO": ("ARCA", "United States Oil Fund LP"),
}
FUTURES: dict[str, tuple[str, Decimal, Decimal, str]] = {
    # symbol: (exchange, multiplier, tick, long name)
    "MCL": ("NYMEX", Decimal(100), Decimal("0.01"), "Micro WTI Crude Oil"),
    "MBT": ("CME", Decimal("0.1"), Decimal(5), "Micro Bitcoin"),
    "ES": ("CME", Decimal(50), Decimal("0.25"), "E-mini S&P 500"),
}
MONTH_CODES = "FGHJKMNQUVXZ"


def catalogue(today: date) -> list[ContractSpec]:
    out = [
        ContractSpec(
            con_id=_con_id(sym, "STK"),
            symbol=sym,
            sec_type="STK",
            exchange="SMART",
            primary_exchange=primary,
            currency="USD",
            local_symbol=sym,
            trading_class="NMS",
            long_name=name,
        )
        for sym, (primary, name) in STOCKS.items()
    ]
    out.append(
        ContractSpec(
            con_id=_con_id("700", "STK", "SEHK"),
            symbol="700",
            sec_type="STK",
            exchange="SEHK",
            primary_exchange="SEHK",
            currency="HKD",
            local_symbol="700",
            trading_class="700",
            min_tick=Decimal("0.2"),
            long_name="TENCENT HOLDINGS LTD",
            lot=Decimal(100),
        )
    )
    for sym, (exchange, mult, tick, name) in FUTURES.items():
        for expiry in _future_months(today, 4):
            out.append(
                ContractSpec(
                    con_id=_con_id(sym, "FUT", expiry.isoformat()),
                    symbol=sym,
                    sec_type="FUT",
                    exchange=exchange,
                    primary_exchange="",
                    currency="USD",
                    multiplier=mult,
                    last_trade_date=expiry.strftime("%Y%m%d"),
                    local_symbol=f"{sym}{MONTH_CODES[expiry.month - 1]}{expiry.year % 10}",
                    trading_class=sym,
                    min_tick=tick,
                    long_name=name,
                )
            )
    return out


DEFAULT_PRICES = {
    "AAPL": Decimal("190.00"),
    "MSFT": Decimal("410.00"),
    "SPY": Decimal("520.00"),
    "USO": Decimal("75.00"),
    "700": Decimal("380.00"),
    "MCL": Decimal("70.00"),
    "MBT": Decimal("95000"),
    "ES": Decimal("5200.00"),
}


@dataclass
class Venue:
    """One paper account's book at the fake TWS."""

    account: str = PAPER_ACCOUNT
    cash: Decimal = Decimal(1_000_000)
    prices: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    contracts: list[ContractSpec] = field(default_factory=list)
    orders: dict[tuple[int, int], FakeOrder] = field(default_factory=dict)
    executions: list[FakeExecution] = field(default_factory=list)
    positions: dict[int, Position] = field(default_factory=dict)
    scripts: list[OrderScript] = field(default_factory=list)
    clock: datetime | None = None  # pinned time for tests; None = wall clock
    # commission as a fraction of traded value (qty x price x multiplier), rounded to the cent;
    # None = IBKR Pro fixed-style fees (see `_commission`)
    commission_rate: Decimal | None = None
    # IB execution ids are unique across sessions and days; a random first segment per fake
    # keeps them unique across test runs against one database
    exec_prefix: str = field(default_factory=lambda: secrets.token_hex(4))
    _perm_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_001))
    _exec_seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        if not self.contracts:
            self.contracts = catalogue(self.now().date())

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    def tick(self) -> datetime:
        """The time of a new event: a pinned clock advances a second per event, so executions
        keep a strict order that reqExecutions' time filter can rely on."""
        if self.clock is None:
            return datetime.now(UTC)
        self.clock += timedelta(seconds=1)
        return self.clock

    # -- contracts ---------------------------------------------------------------------
    def match_contracts(
        self, con_id: int, symbol: str, sec_type: str, expiry: str, local_symbol: str
    ) -> list[ContractSpec]:
        out = []
        for c in self.contracts:
            if con_id and c.con_id != con_id:
                continue
            if symbol and c.symbol != symbol.upper():
                continue
            if sec_type and c.sec_type != sec_type.upper():
                continue
            if expiry and not c.last_trade_date.startswith(expiry):
                continue
            if local_symbol and c.local_symbol != local_symbol:
                continue
            out.append(c)
        return out

    def price_of(self, contract: ContractSpec) -> Decimal:
        return self.prices.get(contract.symbol, Decimal(100))

    # -- orders --------------------------------------------------------------------------
    def next_script(self) -> OrderScript:
        return self.scripts.pop(0) if self.scripts else OrderScript()

    def new_perm_id(self) -> int:
        return next(self._perm_ids)

    def fill(self, order: FakeOrder, qty: Decimal, price: Decimal) -> FakeExecution:
        """Execute ``qty`` of ``order`` at ``price``: the order, the position and the cash move."""
        now = self.tick()
        qty = min(qty, order.remaining)
        signed = qty if order.action == "BUY" else -qty
        mult = order.contract.multiplier
        fee = _commission(order.contract, qty, price, self.commission_rate)
        realized = self._apply_position(order.contract, signed, price) - fee
        self.cash -= signed * price * mult + fee
        new_filled = order.filled + qty
        order.avg_price = (order.avg_price * order.filled + price * qty) / new_filled
        order.filled = new_filled
        order.last_fill_price = price
        if order.remaining == 0:
            order.status = "Filled"
            order.completed_at = now
        else:
            order.status = "Submitted"
        seq = next(self._exec_seq)
        execution = FakeExecution(
            exec_id=f"{self.exec_prefix}.{order.perm_id:08x}.{seq:02d}.01",
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            contract=order.contract,
            side="BOT" if order.action == "BUY" else "SLD",
            shares=qty,
            price=price,
            cum_qty=order.filled,
            avg_price=order.avg_price,
            order_ref=order.order_ref,
            time=now,
            account=order.account or self.account,
            commission=fee,
            realized_pnl=realized,
        )
        self.executions.append(execution)
        return execution

    def _apply_position(self, contract: ContractSpec, signed: Decimal, price: Decimal) -> Decimal:
        pos = self.positions.setdefault(contract.con_id, Position())
        mult = contract.multiplier
        realized = Decimal(0)
        if pos.qty == 0 or (pos.qty > 0) == (signed > 0):
            total = pos.qty + signed
            pos.avg_cost = (pos.avg_cost * abs(pos.qty) + price * mult * abs(signed)) / abs(total)
            pos.qty = total
            return realized
        closing = min(abs(signed), abs(pos.qty))
        direction = 1 if pos.qty > 0 else -1
        realized = (price * mult - pos.avg_cost) * closing * direction
        pos.qty += signed
        if pos.qty == 0:
            pos.avg_cost = Decimal(0)
        elif (pos.qty > 0) != (direction > 0):
            pos.avg_cost = price * mult
        return realized

    def marketable(self, order: FakeOrder) -> Decimal | None:
        """The fill price when ``order`` can trade at the feed now, else None."""
        px = self.price_of(order.contract)
        if order.order_type == "MKT":
            return px
        if order.order_type == "LMT" and order.lmt_price is not None:
            ok = px <= order.lmt_price if order.action == "BUY" else px >= order.lmt_price
            return px if ok else None
        if order.order_type == "STP" and order.aux_price is not None:
            hit = px >= order.aux_price if order.action == "BUY" else px <= order.aux_price
            return px if hit else None
        return None

    # -- account -------------------------------------------------------------------------
    def contract_by_id(self, con_id: int) -> ContractSpec:
        return next(c for c in self.contracts if c.con_id == con_id)

    def account_values(self) -> dict[str, Decimal]:
        market_value = Decimal(0)
        gross = Decimal(0)
        maint = Decimal(0)
        for con_id, pos in self.positions.items():
            if pos.qty == 0:
                continue
            c = self.contract_by_id(con_id)
            value = pos.qty * self.price_of(c) * c.multiplier
            market_value += value
            gross += abs(value)
            maint += abs(value) * (Decimal("0.25") if c.sec_type == "STK" else Decimal("0.10"))
        net = self.cash + market_value
        return {
            "NetLiquidation": net,
            "TotalCashValue": self.cash,
            "EquityWithLoanValue": net,
            "GrossPositionValue": gross,
            "MaintMarginReq": maint,
            "InitMarginReq": maint * Decimal("1.2"),
            "AvailableFunds": net - maint * Decimal("1.2"),
            "BuyingPower": (net - maint * Decimal("1.2")) * 4,
        }


def _commission(
    contract: ContractSpec, qty: Decimal, price: Decimal, rate: Decimal | None = None
) -> Decimal:
    """IBKR Pro fixed-style fees: $0.005 a share (min $1), $0.85 a futures contract; with a
    ``rate``, that fraction of the traded value instead (to the cent)."""
    if rate is not None:
        return (rate * qty * price * contract.multiplier).quantize(Decimal("0.01"))
    if contract.sec_type == "FUT":
        return (Decimal("0.85") * qty).quantize(Decimal("0.01"))
    return max(Decimal("1.00"), (Decimal("0.005") * qty).quantize(Decimal("0.01")))
