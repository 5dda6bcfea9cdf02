"""`ccxt:<exchange>`: spot trading at a crypto exchange through async ccxt, behind `Broker`.

What this adapter adds on top of ccxt, and why:
- **Exchange filters before sending.** ccxt does not check lot, tick or minimum notional; the
  exchange would refuse with a terse code. `conform()` rounds an order to the market's steps
  (what the runner persists), and `place()` refuses anything that still breaks a filter with a
  message naming the filter, the value and what would pass.
- **Idempotent placement.** Binance keeps a client order id unique among *open* orders only, so
  a retried submission of a filled order would trade twice. Before sending, the adapter asks
  the venue for the client order id (a read) and answers an existing order as a duplicate.
- **Outcome unknown is not an error to retry.** A 5xx, a timeout or Binance's -1007 after the
  request left us may have placed the order: `SubmissionUnknown`, never a resend. Requests the
  exchange refused before processing (-1021 timestamp, 429/418 rate limit) are retried: after
  a time resync, or after the `Retry-After` the exchange asked for.
- **Time sync.** The exchange clock offset is measured at connect and again on every -1021.
- **Fills by watermark.** Binance trade ids increase per symbol, so the watermark is the last
  trade id per symbol (a small JSON object) and `fromId` pages forward from it.
- **Spot positions are balances.** Every coin other than the quote currency is a position
  `<COIN>/<QUOTE>`; equity marks them at the last price.

OKX (`ccxt:okx`, a different REST format: signed headers with a passphrase, a `code`/`sCode`
envelope, `BTC-USDT` instruments) goes through the same paths with its differences in
`ccxt_okx.py`: client order ids become `clOrdId`s (at most 32 alphanumerics, deterministic and
reversible for ours), OKX error codes map to the same refused / bad-credentials / unavailable /
unknown distinctions, fills page backwards by `billId` (an account-wide increasing id; the
watermark is the last bill id per symbol), and the key test reads `account/config` to refuse a
key with the withdraw permission. The paper environment is OKX's demo trading
(`x-simulated-trading: 1`, ccxt's sandbox mode) with demo-trading keys.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

from vt_trading.brokers import ccxt_okx
from vt_trading.brokers.base import (
    BadCredentials,
    BrokerUnavailable,
    ExecutionPage,
    OrderRefused,
    PlaceResult,
    SubmissionUnknown,
    VenueBalances,
    VenueExecution,
    VenueOpenOrder,
    VenueOrder,
    Watermark,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 1000
OKX_PAGE = 100  # trade/fills-history answers at most 100 fills a page
ORDER_TYPES = {"market", "limit"}


@dataclass(frozen=True)
class CcxtConfig:
    """One account at one exchange. `api_base_url` replaces the scheme and host of every
    `urls['api']` entry (a mirror, the devstack's fake exchange, tests); `sandbox` is the
    exchange's own testnet (`set_sandbox_mode`)."""

    exchange: str
    api_key: str
    secret: str
    password: str | None = None
    sandbox: bool = False
    api_base_url: str | None = None
    quote: str = "USDT"
    symbols: tuple[str, ...] = ()
    enable_rate_limit: bool = True
    timeout_s: float = 10.0
    max_attempts: int = 4
    max_retry_after_s: float = 60.0
    trade_cursor: str = "auto"  # id | time | bill | auto (id: Binance, bill: OKX, else time)

    def __repr__(self) -> str:  # never print the secret
        return f"CcxtConfig(exchange={self.exchange!r}, sandbox={self.sandbox}, api_key=<redacted>)"


@dataclass(frozen=True)
class MarketRules:
    """The exchange's filters for one spot market, as Decimals."""

    symbol: str
    base: str
    quote: str
    amount_step: Decimal | None
    price_tick: Decimal | None
    min_qty: Decimal | None
    max_qty: Decimal | None
    min_notional: Decimal | None
    max_notional: Decimal | None


def _d(x: Any) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _rewrite(urls: Any, base: str) -> Any:
    if isinstance(urls, dict):
        return {k: _rewrite(v, base) for k, v in urls.items()}
    if isinstance(urls, str) and urls.startswith("http"):
        return base.rstrip("/") + urlsplit(urls).path
    return urls


def _step(x: Decimal, step: Decimal | None, rounding: str) -> Decimal:
    if step is None or step <= 0:
        return x
    return (x / step).to_integral_value(rounding=rounding) * step


def _plain(x: Decimal) -> str:
    return format(x.normalize(), "f")


def unified(symbol: str) -> str:
    """`binance:BTC/USDT` or `BTC/USDT` -> `BTC/USDT` (the market-data spelling allows a prefix)."""
    return symbol.split(":", 1)[1] if ":" in symbol else symbol


@dataclass
class _State:
    coid_symbol: dict[str, str] = field(default_factory=dict)
    venue_coid: dict[str, str] = field(default_factory=dict)  # the venue's client id -> ours
    order_coid: dict[str, str | None] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)  # markets with a balance at the last read
    cool_until: float = 0.0


class CcxtBroker:
    """One exchange account, connected. Not thread-safe; one per runner."""

    def __init__(
        self,
        config: CcxtConfig,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.venue = f"ccxt:{config.exchange}"
        self._sleep = sleep
        self._ex: Any = None
        self._state = _State()
        self.retries: list[tuple[str, str, float]] = []  # (call, reason, waited s): observable

    # --- lifecycle -----------------------------------------------------------------------------

    def _build(self) -> Any:
        import ccxt.async_support as ccxt_async

        cls = getattr(ccxt_async, self.config.exchange, None)
        if cls is None or self.config.exchange not in ccxt_async.exchanges:
            raise BrokerUnavailable(f"ccxt has no exchange called {self.config.exchange!r}.")
        extra: dict[str, Any] = {}
        if self.is_okx:
            extra["createOrder"] = "privatePostTradeOrder"  # one order, one answer (not a batch)
        ex = cls(
            {
                "apiKey": self.config.api_key,
                "secret": self.config.secret,
                "password": self.config.password,
                "enableRateLimit": self.config.enable_rate_limit,
                "timeout": int(self.config.timeout_s * 1000),
                "options": {
                    "defaultType": "spot",
                    "fetchCurrencies": False,
                    "fetchMargins": False,
                    "fetchMarkets": {"types": ["spot"]},
                    "warnOnFetchOpenOrdersWithoutSymbol": False,
                    "adjustForTimeDifference": False,  # done here, with a resync on -1021
                    **extra,
                },
            }
        )
        # currencies are not needed (fees arrive with their currency); OKX would ask a private
        # endpoint for them while loading markets
        ex.has = {**ex.has, "fetchCurrencies": False}
        if self.config.sandbox:
            ex.set_sandbox_mode(True)
        if self.config.api_base_url:
            ex.urls["api"] = _rewrite(ex.urls["api"], self.config.api_base_url)
        return ex

    async def connect(self) -> None:
        if self._ex is None:
            self._ex = self._build()
        await self._call("load_markets", lambda: self._ex.load_markets(), idempotent=True)
        await self._sync_time()

    async def close(self) -> None:
        if self._ex is not None:
            await self._ex.close()
            self._ex = None

    async def _sync_time(self) -> None:
        if self._ex.has.get("fetchTime"):
            await self._call("load_time_difference", self._ex.load_time_difference, idempotent=True)

    @property
    def is_okx(self) -> bool:
        return self.config.exchange in ("okx", "okxus", "myokx")

    # --- client order ids at the venue ---------------------------------------------------------

    def venue_client_id(self, client_order_id: str) -> str:
        """Our client order id as the venue spells it (OKX: `clOrdId`, see ccxt_okx)."""
        vid = ccxt_okx.to_clordid(client_order_id) if self.is_okx else client_order_id
        self._state.venue_coid[vid] = client_order_id
        return vid

    def our_client_id(self, venue_id: str | None) -> str | None:
        """The venue's client order id back as ours (None when the order has none)."""
        if not venue_id:
            return None
        known = self._state.venue_coid.get(venue_id)
        if known is not None:
            return known
        if self.is_okx:
            return ccxt_okx.from_clordid(venue_id) or venue_id
        return venue_id

    def _coid_params(self, venue_id: str) -> dict[str, str]:
        if self.is_okx:
            return {"clOrdId": venue_id}
        return {"origClientOrderId": venue_id, "clientOrderId": venue_id}

    @property
    def exchange(self) -> Any:
        if self._ex is None:
            raise BrokerUnavailable(f"{self.venue} is not connected.")
        return self._ex

    # --- the error and retry policy ----------------------------------------------------------

    async def _call(
        self,
        name: str,
        fn: Callable[[], Awaitable[T]],
        *,
        idempotent: bool,
        sent: bool = False,
    ) -> T:
        """Run one exchange call. Refusals before processing (timestamp, rate limit) are
        retried for every call; transport failures only for idempotent ones. A non-idempotent
        call (`sent=True` once the request may have left) that fails ambiguously raises
        SubmissionUnknown."""
        from ccxt.base import errors as cx

        attempt = 0
        while True:
            attempt += 1
            wait = self._state.cool_until - asyncio.get_running_loop().time()
            if wait > 0:
                await self._sleep(wait)
            try:
                return await fn()
            except cx.BaseError as e:
                kind = classify(e)
                text = _complaint(e)
                if kind == "timestamp":  # refused before processing: resync and try again
                    if attempt >= self.config.max_attempts:
                        raise BrokerUnavailable(
                            f"{self.venue} keeps refusing our timestamp after a clock resync: {text}"
                        ) from None
                    self.retries.append((name, "timestamp", 0.0))
                    await self._ex.load_time_difference()
                    continue
                if kind == "rate_limit":  # 429 / 418: not processed, wait as asked
                    delay = self._retry_after(attempt)
                    if attempt >= self.config.max_attempts or delay > self.config.max_retry_after_s:
                        raise BrokerUnavailable(
                            f"{self.venue} is rate-limiting us (retry after {delay:.0f} s): {text}"
                        ) from None
                    self.retries.append((name, "rate_limit", delay))
                    self._state.cool_until = asyncio.get_running_loop().time() + delay
                    continue
                if kind == "auth":
                    raise BadCredentials(f"{self.venue} rejected the API key: {text}") from None
                if kind == "not_found":
                    raise NotAtVenue(text) from None
                if kind == "refused":
                    raise OrderRefused(f"{self.venue} refused {name}: {text}", _code(e)) from None
                if sent and not idempotent:
                    raise SubmissionUnknown(
                        f"{self.venue} did not confirm {name}; it may have reached the exchange "
                        f"and is resolved by reconciliation, never re-sent ({text})."
                    ) from None
                if kind == "transport" and idempotent and attempt < self.config.max_attempts:
                    delay = min(0.2 * 2 ** (attempt - 1), 5.0)
                    self.retries.append((name, type(e).__name__, delay))
                    await self._sleep(delay)
                    continue
                raise BrokerUnavailable(f"{self.venue} failed {name}: {text}") from None

    def _retry_after(self, attempt: int) -> float:
        headers = getattr(self._ex, "last_response_headers", None) or {}
        value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        try:
            return float(value) if value is not None else min(2.0**attempt, 30.0)
        except ValueError:
            return min(2.0**attempt, 30.0)

    # --- markets and filters ---------------------------------------------------------------

    def rules(self, symbol: str) -> MarketRules:
        sym = unified(symbol)
        m = self.exchange.markets.get(sym) if self.exchange.markets else None
        if m is None or not m.get("spot", False):
            raise OrderRefused(f"{self.venue} has no spot market {sym}.", code="unknown_market")
        limits = m.get("limits") or {}
        prec = m.get("precision") or {}
        return MarketRules(
            symbol=sym,
            base=m["base"],
            quote=m["quote"],
            amount_step=_d(prec.get("amount")),
            price_tick=_d(prec.get("price")),
            min_qty=_d((limits.get("amount") or {}).get("min")),
            max_qty=_d((limits.get("amount") or {}).get("max")),
            min_notional=_d((limits.get("cost") or {}).get("min")),
            max_notional=_d((limits.get("cost") or {}).get("max")),
        )

    def conform(self, order: VenueOrder) -> VenueOrder:
        """The order rounded to the market's lot step (down) and tick (a buy limit down, a sell
        limit up: never a worse price than asked). Persist this, then `place` it."""
        r = self.rules(order.symbol)
        qty = _step(order.qty, r.amount_step, ROUND_DOWN)
        price = order.limit_price
        if price is not None:
            price = _step(
                price, r.price_tick, ROUND_FLOOR if order.side == "buy" else ROUND_CEILING
            )
        return VenueOrder(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            qty=qty,
            limit_price=price,
            stop_price=order.stop_price,
            reduce_only=order.reduce_only,
            oco_group=order.oco_group,
        )

    def check(self, order: VenueOrder, reference_price: Decimal) -> None:
        """Refuse (OrderRefused, with what to change) an order the exchange's filters reject."""
        r = self.rules(order.symbol)
        ex = self.config.exchange
        if order.type not in ORDER_TYPES:
            raise OrderRefused(
                f"{ex} spot orders through this adapter are market or limit; a {order.type} order "
                f"for {r.symbol} cannot be sent (protective stops are not supported on spot yet).",
                code="order_type",
            )
        if order.qty <= 0:
            raise OrderRefused(f"quantity must be positive, got {order.qty}.", code="qty")
        if r.amount_step and _step(order.qty, r.amount_step, ROUND_DOWN) != order.qty:
            raise OrderRefused(
                f"{ex} LOT_SIZE: {_plain(order.qty)} {r.base} is not a multiple of the lot step "
                f"{_plain(r.amount_step)}; send {_plain(_step(order.qty, r.amount_step, ROUND_DOWN))}.",
                code="LOT_SIZE",
            )
        if r.min_qty is not None and order.qty < r.min_qty:
            raise OrderRefused(
                f"{ex} LOT_SIZE: {_plain(order.qty)} {r.base} is below the minimum quantity "
                f"{_plain(r.min_qty)} {r.base} for {r.symbol}.",
                code="LOT_SIZE",
            )
        if r.max_qty is not None and order.qty > r.max_qty:
            raise OrderRefused(
                f"{ex} LOT_SIZE: {_plain(order.qty)} {r.base} is above the maximum quantity "
                f"{_plain(r.max_qty)} {r.base} for {r.symbol}; split the order.",
                code="LOT_SIZE",
            )
        price = order.limit_price if order.type == "limit" else reference_price
        if order.type == "limit":
            if price is None:
                raise OrderRefused("a limit order needs a limit price.", code="price")
            if r.price_tick and _step(price, r.price_tick, ROUND_DOWN) != price:
                raise OrderRefused(
                    f"{ex} PRICE_FILTER: {_plain(price)} is not a multiple of the tick "
                    f"{_plain(r.price_tick)} for {r.symbol}.",
                    code="PRICE_FILTER",
                )
        assert price is not None
        notional = order.qty * price
        if r.min_notional is not None and notional < r.min_notional:
            raise OrderRefused(
                f"{ex} NOTIONAL: {_plain(order.qty)} {r.base} at {_plain(price)} is "
                f"{_plain(notional.quantize(Decimal('0.01')))} {r.quote}, below the minimum order "
                f"value {_plain(r.min_notional)} {r.quote} for {r.symbol}.",
                code="NOTIONAL",
            )
        if r.max_notional is not None and notional > r.max_notional:
            raise OrderRefused(
                f"{ex} NOTIONAL: {_plain(notional)} {r.quote} is above the maximum order value "
                f"{_plain(r.max_notional)} {r.quote} for {r.symbol}.",
                code="NOTIONAL",
            )

    # --- Broker ------------------------------------------------------------------------------

    async def server_time(self) -> datetime:
        ms = await self._call("fetch_time", self.exchange.fetch_time, idempotent=True)
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)

    async def last_price(self, symbol: str) -> Decimal:
        sym = unified(symbol)
        t = await self._call(
            "fetch_ticker", lambda: self.exchange.fetch_ticker(sym), idempotent=True
        )
        price = _d(t.get("last") or t.get("close"))
        if price is None:
            raise BrokerUnavailable(f"{self.venue} gave no last price for {sym}.")
        return price

    async def top_of_book(self, symbol: str) -> tuple[Decimal, Decimal]:
        """(best bid, best ask): the reference for a price band check before an order."""
        sym = unified(symbol)
        ex = self.exchange
        book = await self._call(
            "fetch_order_book", lambda: ex.fetch_order_book(sym, 5), idempotent=True
        )
        if not book.get("bids") or not book.get("asks"):
            raise BrokerUnavailable(f"{self.venue} has an empty order book for {sym}.")
        return Decimal(str(book["bids"][0][0])), Decimal(str(book["asks"][0][0]))

    async def ohlcv(
        self, symbol: str, timeframe: str, since: datetime | None = None, limit: int = 500
    ) -> list[tuple[datetime, Decimal, Decimal, Decimal, Decimal, Decimal]]:
        """Closed and open bars from the exchange (UTC open time, O, H, L, C, volume). Signals
        normally come from the market-data service; this is the venue's own view."""
        sym = unified(symbol)
        ex = self.exchange
        since_ms = int(since.timestamp() * 1000) if since is not None else None
        rows = await self._call(
            "fetch_ohlcv", lambda: ex.fetch_ohlcv(sym, timeframe, since_ms, limit), idempotent=True
        )
        return [
            (
                datetime.fromtimestamp(int(r[0]) / 1000, tz=UTC),
                *(Decimal(str(x)) for x in r[1:6]),
            )  # type: ignore[misc]
            for r in rows
        ]

    async def place(self, order: VenueOrder) -> PlaceResult:
        sym = unified(order.symbol)
        ref = order.limit_price if order.type == "limit" else None
        if ref is None and order.type == "market":
            self.rules(sym)  # an unknown market is refused before any request
            ref = await self.last_price(sym)
        self.check(order, ref or Decimal(0))
        existing = await self._find(order.client_order_id, sym)
        if existing is not None:
            return PlaceResult(
                True, str(existing["id"]), duplicate=True, detail="already at the venue"
            )
        self._state.coid_symbol[order.client_order_id] = sym
        ex = self.exchange
        vid = self.venue_client_id(order.client_order_id)
        try:
            resp = await self._call(
                "create_order",
                lambda: ex.create_order(
                    sym,
                    order.type,
                    order.side,
                    float(order.qty),
                    float(order.limit_price) if order.limit_price is not None else None,
                    {"clientOrderId": vid},
                ),
                idempotent=False,
                sent=True,
            )
        except OrderRefused as e:
            # open with this id already (Binance -2010 "Duplicate order", OKX 51016): the
            # first one stands
            if "Duplicate order" in str(e) or e.code in ccxt_okx.DUPLICATE:
                again = await self._find(order.client_order_id, sym)
                if again is not None:
                    return PlaceResult(True, str(again["id"]), duplicate=True, detail="duplicate")
            raise
        oid = str(resp["id"])
        self._state.order_coid[oid] = order.client_order_id
        return PlaceResult(True, oid, duplicate=False, detail=str(resp.get("status") or ""))

    async def _find(self, coid: str, symbol: str) -> dict[str, Any] | None:
        """The venue's order with this client order id, or None (a read: safe to retry)."""
        ex = self.exchange
        params = self._coid_params(self.venue_client_id(coid))
        try:
            found: dict[str, Any] = await self._call(
                "fetch_order",
                lambda: ex.fetch_order(None, symbol, params),
                idempotent=True,
            )
        except NotAtVenue:
            return None
        self._state.order_coid[str(found["id"])] = coid
        self._state.coid_symbol[coid] = symbol
        return found

    async def order_status(
        self, client_order_id: str, symbol: str | None = None
    ) -> VenueOpenOrder | None:
        """Reconciliation of an `unknown` order: the venue's view of one client order id."""
        sym = unified(symbol) if symbol else self._state.coid_symbol.get(client_order_id)
        candidates = [sym] if sym else list(self._watched())
        for s in candidates:
            o = await self._find(client_order_id, s)
            if o is not None:
                return _open_order(o, client_order_id)
        return None

    async def cancel(self, client_order_id: str) -> bool:
        sym = self._state.coid_symbol.get(client_order_id)
        if sym is None:
            match = [o for o in await self.open_orders() if o.client_order_id == client_order_id]
            if not match:
                return False
            sym = match[0].symbol
        ex = self.exchange
        params = self._coid_params(self.venue_client_id(client_order_id))
        try:
            await self._call(
                "cancel_order",
                lambda: ex.cancel_order(None, sym, params),
                idempotent=True,  # cancelling twice is harmless: the second finds nothing
            )
        except (NotAtVenue, OrderRefused):
            return False
        return True

    async def open_orders(self) -> Sequence[VenueOpenOrder]:
        ex = self.exchange
        rows = await self._call(
            "fetch_open_orders", lambda: ex.fetch_open_orders(), idempotent=True
        )
        out = []
        for o in rows:
            coid = self.our_client_id(o.get("clientOrderId"))
            if coid:
                self._state.coid_symbol[coid] = o["symbol"]
            out.append(_open_order(o, coid))
        return out

    def _watched(self) -> list[str]:
        seen = dict.fromkeys(unified(s) for s in self.config.symbols)
        seen.update(dict.fromkeys(self._state.coid_symbol.values()))
        seen.update(dict.fromkeys(sorted(self._state.held)))
        return list(seen)

    def _cursor(self) -> str:
        if self.config.trade_cursor == "auto":
            if self.config.exchange.startswith("binance"):
                return "id"
            return "bill" if self.is_okx else "time"
        return self.config.trade_cursor

    async def executions_since(self, watermark: Watermark | None) -> ExecutionPage:
        """Binance pages forward by trade id (`fromId`, ids increase per symbol): the watermark
        is the last id per symbol. OKX lists fills newest first and pages backwards with
        `after` a bill id (account-wide, increasing): the watermark is the last bill id per
        symbol and the pages are read back to it. Other exchanges page by time: the watermark
        is the last trade time per symbol and the ids seen at that instant (a trade sharing the
        instant is neither lost nor repeated)."""
        marks: dict[str, Any] = json.loads(watermark) if watermark else {}
        found: list[VenueExecution] = []
        cursor = self._cursor()
        for sym in sorted(set(self._watched()) | set(marks)):
            new_mark: Any
            if cursor == "id":
                new_mark = await self._since_id(sym, marks.get(sym), found)
            elif cursor == "bill":
                new_mark = await self._since_bill(sym, marks.get(sym), found)
            else:
                new_mark = await self._since_time(sym, marks.get(sym), found)
            if new_mark is not None:
                marks[sym] = new_mark
        found.sort(key=lambda e: (e.ts, e.execution_id))
        return ExecutionPage(found, json.dumps(marks, sort_keys=True) if marks else watermark)

    async def _since_id(self, sym: str, mark: Any, found: list[VenueExecution]) -> int | None:
        ex = self.exchange
        last = int(mark) if mark is not None else -1
        while True:
            since_id = last + 1
            trades = await self._call(
                "fetch_my_trades",
                lambda s=sym, f=since_id: ex.fetch_my_trades(s, None, PAGE, {"fromId": f}),  # type: ignore[misc]
                idempotent=True,
            )
            for t in trades:
                tid = int(t["id"])
                if tid <= last:
                    continue
                found.append(await self._execution(sym, t))
                last = max(last, tid)
            if len(trades) < PAGE:
                break
        return last if last >= 0 else None

    async def _since_bill(self, sym: str, mark: Any, found: list[VenueExecution]) -> str | None:
        """OKX `trade/fills-history`: at most 100 fills a page, newest first; `after=<billId>`
        asks for older ones. Read back until the watermark's bill (or the start of history)."""
        ex = self.exchange
        last = int(mark) if mark is not None else -1
        fresh: dict[int, Mapping[str, Any]] = {}
        after: int | None = None
        while True:
            params = {"after": str(after)} if after is not None else {}
            trades = await self._call(
                "fetch_my_trades",
                lambda s=sym, p=params: ex.fetch_my_trades(s, None, OKX_PAGE, p),  # type: ignore[misc]
                idempotent=True,
            )
            bills = [(int((t.get("info") or {})["billId"]), t) for t in trades]
            for bill, t in bills:
                if bill > last:
                    fresh[bill] = t
            oldest = min((b for b, _ in bills), default=None)
            if len(trades) < OKX_PAGE or oldest is None or oldest <= last or oldest == after:
                break
            after = oldest
        for bill in sorted(fresh):
            found.append(await self._execution(sym, fresh[bill], execution_id=str(bill)))
        top = max(fresh, default=last)
        return str(top) if top >= 0 else None

    async def _since_time(
        self, sym: str, mark: Any, found: list[VenueExecution]
    ) -> dict[str, Any] | None:
        ex = self.exchange
        last_ts = int(mark["t"]) if mark else None
        seen: set[str] = set(mark["ids"]) if mark else set()
        while True:
            trades = await self._call(
                "fetch_my_trades",
                lambda s=sym, f=last_ts: ex.fetch_my_trades(s, f, PAGE),  # type: ignore[misc]
                idempotent=True,
            )
            before = last_ts
            for t in sorted(trades, key=lambda x: (int(x["timestamp"]), str(x["id"]))):
                ts, tid = int(t["timestamp"]), str(t["id"])
                if last_ts is not None and (ts < last_ts or (ts == last_ts and tid in seen)):
                    continue
                found.append(await self._execution(sym, t))
                if last_ts is None or ts > last_ts:
                    last_ts, seen = ts, set()
                seen.add(tid)
            if len(trades) < PAGE or last_ts == before:
                break  # the last page, or a full page inside one instant (cannot advance)
        return {"t": last_ts, "ids": sorted(seen)} if last_ts is not None else None

    async def _execution(
        self, sym: str, t: Mapping[str, Any], execution_id: str | None = None
    ) -> VenueExecution:
        oid = str(t.get("order")) if t.get("order") is not None else None
        coid: str | None = None
        info = t.get("info") or {}
        if oid is not None:
            if oid not in self._state.order_coid and info.get("clOrdId") is not None:
                self._state.order_coid[oid] = self.our_client_id(info.get("clOrdId"))  # OKX
            if oid not in self._state.order_coid:
                ex = self.exchange
                o = await self._call(
                    "fetch_order", lambda: ex.fetch_order(oid, sym), idempotent=True
                )
                self._state.order_coid[oid] = self.our_client_id(o.get("clientOrderId"))
            coid = self._state.order_coid[oid]
        qty = Decimal(str(t["amount"]))
        price = Decimal(str(t["price"]))
        fee = t.get("fee") or {}
        fee_cost = Decimal(str(fee.get("cost") or 0))
        fee_ccy = fee.get("currency")
        base, quote = sym.split("/", 1)
        # our ledger counts fees in the quote currency; a fee paid in the coin is worth its price
        fees = fee_cost * price if fee_ccy == base else fee_cost
        return VenueExecution(
            execution_id=f"{sym}#{execution_id or t['id']}",
            client_order_id=coid,
            broker_order_id=oid,
            symbol=sym,
            side=t["side"],
            qty=qty,
            price=price,
            fees=fees,
            ts=datetime.fromtimestamp(int(t["timestamp"]) / 1000, tz=UTC),
            fee_currency=quote if fee_ccy in (base, quote, None) else fee_ccy,
            raw=dict(t.get("info") or {}),
        )

    async def _raw_balance(self) -> dict[str, Any]:
        ex = self.exchange
        bal: dict[str, Any] = await self._call(
            "fetch_balance", lambda: ex.fetch_balance(), idempotent=True
        )
        return bal

    async def positions(self) -> Mapping[str, Decimal]:
        return (await self.balances()).positions

    async def balances(self) -> VenueBalances:
        bal = await self._raw_balance()
        totals: dict[str, Decimal] = {
            k: Decimal(str(v)) for k, v in (bal.get("total") or {}).items() if v
        }
        quote = self.config.quote
        cash = totals.pop(quote, Decimal(0))
        positions: dict[str, Decimal] = {}
        equity = cash
        markets = self.exchange.markets or {}
        for coin, qty in sorted(totals.items()):
            sym = f"{coin}/{quote}"
            if qty == 0 or sym not in markets:
                continue  # a coin with no market against the quote cannot be marked or traded
            positions[sym] = qty
            self._state.held.add(sym)
            equity += qty * await self.last_price(sym)
        return VenueBalances(currency=quote, cash=cash, equity=equity, positions=positions)

    # --- credentials -----------------------------------------------------------------------

    async def verify_credentials(self) -> dict[str, Any]:
        """The key test on save: a balance call (proves key, secret and reading), then the
        withdraw permission where the exchange reports it (refused: we never need it)."""
        await self._raw_balance()
        can_withdraw = await self._withdraw_enabled()
        if can_withdraw:
            raise BadCredentials(
                f"{self.venue}: this API key can withdraw funds. Create a key with reading and "
                "spot trading only; the platform never needs withdrawals."
            )
        return {"exchange": self.config.exchange, "withdraw_enabled": can_withdraw}

    async def _withdraw_enabled(self) -> bool | None:
        ex = self.exchange
        if self.is_okx:  # demo keys too: the same account/config answers in both environments
            resp = await self._call(
                "account_config", lambda: ex.private_get_account_config(), idempotent=True
            )
            rows = resp.get("data") or [{}]
            return ccxt_okx.withdraw_enabled(rows[0])
        probe = getattr(ex, "sapi_get_account_apirestrictions", None)
        if self.config.sandbox:
            return None  # testnets hold no real funds and serve no account-restriction endpoint
        if self.config.exchange == "binance" and probe is not None:
            info = await self._call("apiRestrictions", lambda: probe(), idempotent=True)
            return bool(info.get("enableWithdrawals"))
        return None  # not reported by this exchange's API


class NotAtVenue(Exception):
    """The exchange does not know the order (Binance -2013 / -2011, OKX 51603 / 51400-51402)."""


# Binance codes by meaning. ccxt maps some of them differently per URL (the real spot host maps
# -1021 to BadRequest, any other host to InvalidNonce), so the code decides, not the class.
_TIMESTAMP = {"-1021"}
_RATE = {"-1003", "-1015"}
_AUTH = {"-1002", "-1022", "-2014", "-2015"}
_NOT_FOUND = {"-2011", "-2013"}
_AMBIGUOUS = {"-1006", "-1007"}
_SERVER = {"-1000", "-1001", "-1008", "-1016"}
_REFUSED = {"-1013", "-1014", "-1020", "-2010"}


def classify(e: BaseException) -> str:
    """timestamp | rate_limit | auth | not_found | refused | transport | unknown."""
    from ccxt.base import errors as cx

    code = _code(e)
    if code in _TIMESTAMP or code in ccxt_okx.TIMESTAMP or isinstance(e, cx.InvalidNonce):
        return "timestamp"
    if (
        code in _RATE
        or code in ccxt_okx.RATE
        or isinstance(e, cx.DDoSProtection | cx.RateLimitExceeded)
    ):
        return "rate_limit"
    if (
        code in _AUTH
        or code in ccxt_okx.AUTH
        or isinstance(e, cx.AuthenticationError | cx.PermissionDenied)
    ):
        return "auth"
    if code in _NOT_FOUND or code in ccxt_okx.NOT_FOUND or isinstance(e, cx.OrderNotFound):
        return "not_found"
    if code in _AMBIGUOUS or code in ccxt_okx.AMBIGUOUS:
        return "unknown"
    if code in _SERVER or code in ccxt_okx.SERVER:
        return "transport"
    if code in _REFUSED or (code is not None and code.startswith(("-11", "51"))):
        return "refused"  # -11xx request issues, -1013 filters, -2010 rejected; OKX 51xxx
    if isinstance(
        e,
        cx.InvalidOrder | cx.BadRequest | cx.BadSymbol | cx.InsufficientFunds | cx.NotSupported,
    ):
        return "refused"
    if isinstance(e, cx.NetworkError | cx.ExchangeNotAvailable | cx.RequestTimeout):
        return "transport"
    return "unknown"


def _open_order(o: Mapping[str, Any], client_order_id: str | None) -> VenueOpenOrder:
    return VenueOpenOrder(
        client_order_id=client_order_id,
        broker_order_id=str(o["id"]),
        symbol=o["symbol"],
        side=o["side"],
        type=o.get("type") or "limit",
        qty=Decimal(str(o.get("amount") or 0)),
        filled_qty=Decimal(str(o.get("filled") or 0)),
    )


def _short(e: BaseException) -> str:
    text = str(e)
    return text if len(text) <= 300 else text[:300] + "…"


def _code(e: BaseException) -> str | None:
    """The exchange's code in a ccxt error: OKX's per-item `sCode` first (its envelope `code`
    is "1" for every failed placement), then `code` (Binance's number, OKX's string)."""
    import re

    text = str(e)
    m = re.search(r'"sCode":\s*"(\d+)"', text)
    if m and m.group(1) != "0":
        return m.group(1)
    m = re.search(r'"code":\s*"?(-?\d+)"?', text)
    return m.group(1) if m else None


def _complaint(e: BaseException) -> str:
    """What the exchange said, short: OKX's envelope becomes `<sCode> <sMsg>` (or `<code>
    <msg>`) plus what it usually means; anything else is ccxt's text."""
    import re

    text = str(e)
    if not text.startswith(("okx ", "okxus ", "myokx ")):
        return _short(e)
    body = text.split(" ", 1)[1]
    try:
        data = json.loads(body)
    except ValueError:
        return _short(e)
    if not isinstance(data, dict):
        return _short(e)
    code, msg = str(data.get("code") or ""), str(data.get("msg") or "")
    for item in data.get("data") or []:
        if isinstance(item, dict) and str(item.get("sCode") or "0") != "0":
            code, msg = str(item["sCode"]), str(item.get("sMsg") or msg)
            break
    hint = ccxt_okx.HINTS.get(code)
    said = re.sub(r"\s+", " ", msg).strip()
    out = f"OKX {code}: {said}"
    return f"{out} ({hint})" if hint else out


def config_from_credentials(
    venue: str,
    credentials: Mapping[str, str],
    *,
    environment: str,
    quote: str,
    api_base_url: str | None,
    symbols: tuple[str, ...] = (),
) -> CcxtConfig:
    """An account's config: `ccxt:<exchange>` with `{api_key, secret[, password]}`; the paper
    environment trades on the exchange's own testnet (`set_sandbox_mode`)."""
    exchange = venue.split(":", 1)[1]
    key = credentials.get("api_key") or credentials.get("apiKey")
    secret = credentials.get("secret") or credentials.get("api_secret")
    password = credentials.get("password") or credentials.get("passphrase") or None
    if not key or not secret:
        raise BadCredentials(
            f"{venue} needs credentials {{'api_key': ..., 'secret': ...}} (and 'password' where "
            "the exchange uses a passphrase)."
        )
    if password is None and needs_passphrase(exchange):
        raise BadCredentials(
            f"{venue} needs the API key's passphrase as well: credentials {{'api_key': ..., "
            "'secret': ..., 'password': ...}} (the passphrase chosen when the key was created)."
        )
    return CcxtConfig(
        exchange=exchange,
        api_key=key,
        secret=secret,
        password=password,
        sandbox=environment == "paper",
        api_base_url=api_base_url,
        quote=quote,
        symbols=symbols,
    )


@functools.cache
def needs_passphrase(exchange: str) -> bool:
    """Whether ccxt's class for the exchange requires a `password` (OKX: the passphrase)."""
    import ccxt

    cls = getattr(ccxt, exchange, None)
    if cls is None or exchange not in ccxt.exchanges:
        return False
    required: dict[str, bool] = cls().requiredCredentials  # the class attribute is the base's
    return bool(required.get("password"))


def known_exchange(exchange: str) -> bool:
    import ccxt.async_support as ccxt_async

    return exchange in ccxt_async.exchanges
