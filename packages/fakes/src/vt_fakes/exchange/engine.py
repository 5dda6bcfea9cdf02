"""The fake exchange's matching engine: markets with Binance's filters, accounts with balances,
orders, trades and a script of faults. Wire formats (Binance REST) live in `binance.py`; this
module knows nothing about HTTP so a second wire format can share it.

Simplifications, on purpose and documented: fees are charged in the quote asset on both sides
(real Binance charges a buy's fee in the base asset unless BNB pays), market orders fill at the
current price (no book walk), and a price move (`set_price`) is the only thing that crosses
resting limit orders.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

D0 = Decimal(0)


class ExchangeRefusal(Exception):
    """A business refusal with Binance's code and message (mapped to HTTP 400 by the wire)."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


@dataclass(frozen=True)
class Market:
    base: str
    quote: str
    tick_size: Decimal = Decimal("0.01")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")

    @property
    def symbol(self) -> str:
        return self.base + self.quote


@dataclass
class Order:
    order_id: int
    client_order_id: str
    api_key: str
    symbol: str
    side: str  # BUY | SELL
    type: str  # MARKET | LIMIT
    qty: Decimal
    price: Decimal | None
    time_ms: int
    status: str = "NEW"  # NEW | PARTIALLY_FILLED | FILLED | CANCELED
    executed: Decimal = D0
    cum_quote: Decimal = D0
    update_ms: int = 0
    held: bool = False  # scripted: the rest fills only on `release`
    lock_price: Decimal = D0  # the price a buy's quote was locked at (placement)

    @property
    def open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed


@dataclass
class Trade:
    id: int
    symbol: str
    order_id: int
    api_key: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    is_buyer: bool
    is_maker: bool


@dataclass
class Account:
    api_key: str
    secret: str
    balances: dict[str, list[Decimal]] = field(default_factory=dict)  # asset -> [free, locked]
    can_withdraw: bool = False
    passphrase: str | None = None  # OKX: the key's passphrase (OK-ACCESS-PASSPHRASE)
    demo: bool = False  # OKX: a demo-trading key (answers only with x-simulated-trading: 1)

    def free(self, asset: str) -> Decimal:
        return self.balances.get(asset, [D0, D0])[0]

    def move(self, asset: str, free: Decimal = D0, locked: Decimal = D0) -> None:
        row = self.balances.setdefault(asset, [D0, D0])
        row[0] += free
        row[1] += locked


@dataclass
class Fault:
    """One scripted fault. `kind`: timestamp (-1021), rate_limit (429 + Retry-After),
    server_error (a 5xx with no JSON body), accept_then_error (the request is processed, then
    the answer is a -1007 "execution status unknown" 503). `path` and `method` narrow it."""

    kind: str
    path: str | None = None
    method: str | None = None
    times: int = 1
    retry_after: int = 1
    status: int = 503

    def matches(self, method: str, path: str) -> bool:
        return (self.path is None or path == self.path) and (
            self.method is None or method == self.method
        )


DEFAULT_MARKETS = (Market("BTC", "USDT"), Market("ETH", "USDT"))
DEFAULT_PRICES = {"BTCUSDT": Decimal("42000.00"), "ETHUSDT": Decimal("2500.00")}


class Engine:
    """State of the whole fake venue; every method is synchronous and quick (one event loop)."""

    def __init__(
        self,
        markets: Iterable[Market] = DEFAULT_MARKETS,
        prices: dict[str, Decimal] | None = None,
        fee_rate: Decimal = Decimal("0.001"),
    ) -> None:
        self.markets = {m.symbol: m for m in markets}
        self.prices = dict(prices or DEFAULT_PRICES)
        self.fee_rate = fee_rate
        self.accounts: dict[str, Account] = {}
        self.orders: list[Order] = []
        self.trades: list[Trade] = []
        self.faults: list[Fault] = []
        self.clock_offset_ms = 0
        # symbol -> fraction of each new order filled at once; the rest is held for `release`
        self.fill_fraction: dict[str, Decimal] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._order_seq = 1000
        self._trade_seq: dict[str, int] = {}

    # --- set-up and scripting -----------------------------------------------------------------

    def add_account(
        self,
        api_key: str,
        secret: str,
        balances: dict[str, Decimal] | None = None,
        can_withdraw: bool = False,
        passphrase: str | None = None,
        demo: bool = False,
    ) -> Account:
        acct = Account(api_key, secret, can_withdraw=can_withdraw, passphrase=passphrase, demo=demo)
        for asset, amount in (balances or {"USDT": Decimal(100_000)}).items():
            acct.move(asset, free=Decimal(amount))
        self.accounts[api_key] = acct
        return acct

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def script(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for f in self.faults:
            if f.matches(method, path):
                f.times -= 1
                if f.times <= 0:
                    self.faults.remove(f)
                return f
        return None

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the market; resting limit orders the new price crosses fill at their limit."""
        self.prices[symbol] = Decimal(price)
        for o in self.orders:
            if o.symbol != symbol or not o.open or o.held or o.type != "LIMIT":
                continue
            assert o.price is not None
            if (o.side == "BUY" and price <= o.price) or (o.side == "SELL" and price >= o.price):
                self._fill(o, o.remaining, o.price, maker=True)

    def release(self, symbol: str | None = None) -> int:
        """Delayed fills arrive: held orders fill their rest at the current price."""
        n = 0
        for o in self.orders:
            if o.held and o.open and (symbol is None or o.symbol == symbol):
                o.held = False
                if o.type == "MARKET":
                    self._fill(o, o.remaining, self.prices[o.symbol], maker=False)
                    n += 1
                else:
                    self.set_price(o.symbol, self.prices[o.symbol])
                    n += 1
        return n

    # --- trading ---------------------------------------------------------------------------

    def market(self, symbol: str) -> Market:
        m = self.markets.get(symbol)
        if m is None:
            raise ExchangeRefusal(-1121, "Invalid symbol.")
        return m

    def place(
        self,
        api_key: str,
        symbol: str,
        side: str,
        type_: str,
        qty: Decimal,
        price: Decimal | None,
        client_order_id: str | None,
    ) -> Order:
        acct = self.accounts[api_key]
        m = self.market(symbol)
        if side not in ("BUY", "SELL"):
            raise ExchangeRefusal(
                -1102, "Mandatory parameter 'side' was not sent, was empty/null, or malformed."
            )
        if type_ not in ("MARKET", "LIMIT"):
            raise ExchangeRefusal(-1116, "Invalid orderType.")
        if client_order_id and any(
            o.client_order_id == client_order_id and o.api_key == api_key and o.open
            for o in self.orders
        ):
            # Binance: a client order id is unique among *open* orders only
            raise ExchangeRefusal(-2010, "Duplicate order sent.")
        self._check_filters(m, type_, qty, price)
        ref = price if type_ == "LIMIT" and price is not None else self.prices[symbol]
        if side == "BUY":
            need = qty * ref * (1 + self.fee_rate)
            if acct.free(m.quote) < need:
                raise ExchangeRefusal(
                    -2010, "Account has insufficient balance for requested action."
                )
        elif acct.free(m.base) < qty:
            raise ExchangeRefusal(-2010, "Account has insufficient balance for requested action.")
        self._order_seq += 1
        now = self.now_ms()
        order = Order(
            order_id=self._order_seq,
            client_order_id=client_order_id or f"fake{self._order_seq}",
            api_key=api_key,
            symbol=symbol,
            side=side,
            type=type_,
            qty=qty,
            price=price if type_ == "LIMIT" else None,
            time_ms=now,
            update_ms=now,
            lock_price=ref,
        )
        self.orders.append(order)
        # lock what a resting order needs
        if side == "BUY":
            lock = qty * ref * (1 + self.fee_rate)
            acct.move(m.quote, free=-lock, locked=lock)
        else:
            acct.move(m.base, free=-qty, locked=qty)
        fraction = self.fill_fraction.get(symbol)
        marketable = type_ == "MARKET" or (
            price is not None
            and (
                (side == "BUY" and self.prices[symbol] <= price)
                or (side == "SELL" and self.prices[symbol] >= price)
            )
        )
        if marketable:
            now_qty = qty if fraction is None else _round_step(qty * fraction, m.step_size)
            fill_price = (
                self.prices[symbol] if type_ == "MARKET" else (price or self.prices[symbol])
            )
            if type_ == "LIMIT":
                fill_price = (
                    min(fill_price, self.prices[symbol])
                    if side == "BUY"
                    else max(fill_price, self.prices[symbol])
                )
            if now_qty > 0:
                self._fill(order, now_qty, fill_price, maker=False)
            if order.open and fraction is not None:
                order.held = True
        return order

    def cancel(self, api_key: str, symbol: str, order_id: int | None, coid: str | None) -> Order:
        o = self.find(api_key, symbol, order_id, coid)
        if o is None or not o.open:
            raise ExchangeRefusal(-2011, "Unknown order sent.")
        self._unlock(o)
        o.status = "CANCELED"
        o.held = False
        o.update_ms = self.now_ms()
        return o

    def find(
        self, api_key: str, symbol: str, order_id: int | None, coid: str | None
    ) -> Order | None:
        # the latest order with that client id wins (a closed one may share it with a new one)
        for o in reversed(self.orders):
            if o.api_key != api_key or o.symbol != symbol:
                continue
            if (order_id is not None and o.order_id == order_id) or (
                order_id is None and coid is not None and o.client_order_id == coid
            ):
                return o
        return None

    def forget(self, client_order_id: str) -> None:
        """Scripted 'unknown order': the venue loses an order (it no longer answers for it)."""
        self.orders = [o for o in self.orders if o.client_order_id != client_order_id]

    # --- internals ---------------------------------------------------------------------------

    def _check_filters(self, m: Market, type_: str, qty: Decimal, price: Decimal | None) -> None:
        if type_ == "LIMIT":
            if price is None:
                raise ExchangeRefusal(
                    -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."
                )
            if (
                price < m.min_price
                or price > m.max_price
                or (price - m.min_price) % m.tick_size != 0
            ):
                raise ExchangeRefusal(-1013, "Filter failure: PRICE_FILTER")
        if qty < m.min_qty or qty > m.max_qty or (qty - m.min_qty) % m.step_size != 0:
            raise ExchangeRefusal(-1013, "Filter failure: LOT_SIZE")
        ref = price if type_ == "LIMIT" and price is not None else self.prices[m.symbol]
        if qty * ref < m.min_notional or qty * ref > m.max_notional:
            raise ExchangeRefusal(-1013, "Filter failure: NOTIONAL")

    def _unlock(self, o: Order) -> None:
        acct = self.accounts[o.api_key]
        m = self.markets[o.symbol]
        if o.side == "BUY":
            rest = o.remaining * o.lock_price * (1 + self.fee_rate)
            acct.move(m.quote, free=rest, locked=-rest)
        else:
            acct.move(m.base, free=o.remaining, locked=-o.remaining)

    def _fill(self, o: Order, qty: Decimal, price: Decimal, maker: bool) -> Trade:
        acct = self.accounts[o.api_key]
        m = self.markets[o.symbol]
        quote_qty = qty * price
        fee = (quote_qty * self.fee_rate).quantize(Decimal("0.00000001"))
        if o.side == "BUY":
            reserved = qty * o.lock_price * (1 + self.fee_rate)
            acct.move(m.quote, free=reserved - quote_qty - fee, locked=-reserved)
            acct.move(m.base, free=qty)
        else:
            acct.move(m.base, locked=-qty)
            acct.move(m.quote, free=quote_qty - fee)
        seq = self._trade_seq.get(o.symbol, 0) + 1  # trade ids are per symbol, as at Binance
        self._trade_seq[o.symbol] = seq
        now = self.now_ms()
        trade = Trade(
            id=seq,
            symbol=o.symbol,
            order_id=o.order_id,
            api_key=o.api_key,
            price=price,
            qty=qty,
            quote_qty=quote_qty,
            commission=fee,
            commission_asset=m.quote,
            time_ms=now,
            is_buyer=o.side == "BUY",
            is_maker=maker,
        )
        self.trades.append(trade)
        o.executed += qty
        o.cum_quote += quote_qty
        o.update_ms = now
        o.status = "FILLED" if o.executed >= o.qty else "PARTIALLY_FILLED"
        return trade


def _round_step(qty: Decimal, step: Decimal) -> Decimal:
    return (qty / step).to_integral_value(rounding=ROUND_DOWN) * step
