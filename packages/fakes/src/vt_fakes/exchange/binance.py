"""Binance spot REST (api/v3) over the fake engine, as ccxt's `binance` class calls it.

Signed endpoints check what Binance checks, in its order: the `X-MBX-APIKEY` header names a
known key (-2015), `timestamp` lies inside `recvWindow` of the server clock and at most 1 s
ahead of it (-1021), and `signature` is the HMAC-SHA256 of the query string followed by the
request body under the key's secret (-1022). Scripted faults (`Engine.script`) come first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from vt_fakes.exchange.engine import Engine, ExchangeRefusal, Market, Order, Trade

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z, the first kline the fake serves
INTERVAL_MS = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}

Handler = Callable[["Call"], Awaitable[Any]]


def f8(x: Decimal | None) -> str:
    return f"{(x or Decimal(0)):.8f}"


def market_info(m: Market) -> dict[str, Any]:
    return {
        "symbol": m.symbol,
        "status": "TRADING",
        "baseAsset": m.base,
        "baseAssetPrecision": 8,
        "quoteAsset": m.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": f8(m.min_price),
                "maxPrice": f8(m.max_price),
                "tickSize": f8(m.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": f8(m.min_qty),
                "maxQty": f8(m.max_qty),
                "stepSize": f8(m.step_size),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": f8(m.min_notional),
                "applyMinToMarket": True,
                "maxNotional": f8(m.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def exchange_info(markets: list[Market], server_ms: int = START_MS) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
            }
        ],
        "exchangeFilters": [],
        "symbols": [market_info(m) for m in markets],
    }


def kline(open_ms: int, step_ms: int, start_ms: int = START_MS) -> list[Any]:
    """A deterministic bar: a slow sine around 42,000 with a drift (one value per minute)."""
    i = (open_ms - start_ms) // 60_000
    base = 42000.0 + 10.0 * math.sin(i / 500.0) + i * 0.01
    return [
        open_ms,
        f"{base:.2f}",
        f"{base + 25:.2f}",
        f"{base - 25:.2f}",
        f"{base + 5:.2f}",
        "12.50000000",
        open_ms + step_ms - 1,
        f"{12.5 * base:.8f}",
        100,
        "6.25000000",
        f"{6.25 * base:.8f}",
        "0",
    ]


def klines(params: dict[str, str], start_ms: int = START_MS) -> list[list[Any]]:
    """`GET /api/v3/klines` rows from `start_ms` on (the fake has no earlier history)."""
    step = INTERVAL_MS[params["interval"]]
    start = int(params.get("startTime", start_ms))
    start = max(start_ms, -(-start // step) * step)
    end = int(params.get("endTime", start + step * 1000))
    limit = int(params.get("limit", 500))
    rows: list[list[Any]] = []
    t = start
    while t <= end and len(rows) < limit:
        rows.append(kline(t, step, start_ms))
        t += step
    return rows


# --- wire shapes -----------------------------------------------------------------------------


def order_json(o: Order, full: bool = False, trades: list[Trade] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id,
        "price": f8(o.price),
        "origQty": f8(o.qty),
        "executedQty": f8(o.executed),
        "cummulativeQuoteQty": f8(o.cum_quote),
        "status": o.status,
        "timeInForce": "GTC",
        "type": o.type,
        "side": o.side,
        "stopPrice": f8(None),
        "icebergQty": f8(None),
        "time": o.time_ms,
        "updateTime": o.update_ms,
        "isWorking": True,
        "workingTime": o.time_ms,
        "origQuoteOrderQty": f8(None),
        "selfTradePreventionMode": "NONE",
    }
    if full:
        out["transactTime"] = o.time_ms
        out["fills"] = [
            {
                "price": f8(t.price),
                "qty": f8(t.qty),
                "commission": f8(t.commission),
                "commissionAsset": t.commission_asset,
                "tradeId": t.id,
            }
            for t in trades or []
        ]
    return out


def trade_json(t: Trade) -> dict[str, Any]:
    return {
        "symbol": t.symbol,
        "id": t.id,
        "orderId": t.order_id,
        "orderListId": -1,
        "price": f8(t.price),
        "qty": f8(t.qty),
        "quoteQty": f8(t.quote_qty),
        "commission": f8(t.commission),
        "commissionAsset": t.commission_asset,
        "time": t.time_ms,
        "isBuyer": t.is_buyer,
        "isMaker": t.is_maker,
        "isBestMatch": True,
    }


class Call:
    """One request: method, path, merged parameters, and the API key once authenticated."""

    def __init__(self, method: str, path: str, params: dict[str, str]) -> None:
        self.method = method
        self.path = path
        self.params = params
        self.api_key = ""

    def need(self, name: str) -> str:
        v = self.params.get(name)
        if v is None or v == "":
            raise ExchangeRefusal(
                -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
            )
        return v

    def dec(self, name: str) -> Decimal | None:
        v = self.params.get(name)
        if v is None:
            return None
        try:
            return Decimal(v)
        except InvalidOperation:
            raise ExchangeRefusal(
                -1100, f"Illegal characters found in parameter '{name}'."
            ) from None


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(payload), content_type="application/json", headers=headers
    )


def _err(code: int, msg: str, status: int = 400) -> web.Response:
    return _json({"code": code, "msg": msg}, status=status)


class BinanceWire:
    """The routes; `engine` holds the state, tests script it directly."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.public: dict[tuple[str, str], Handler] = {
            ("GET", "/api/v3/ping"): self.ping,
            ("GET", "/api/v3/time"): self.time,
            ("GET", "/api/v3/exchangeInfo"): self.exchange_info,
            ("GET", "/api/v3/klines"): self.klines,
            ("GET", "/api/v3/ticker/24hr"): self.ticker,
            ("GET", "/api/v3/ticker/price"): self.ticker_price,
            ("GET", "/api/v3/ticker/bookTicker"): self.book_ticker,
            ("GET", "/api/v3/depth"): self.depth,
        }
        self.signed: dict[tuple[str, str], Handler] = {
            ("POST", "/api/v3/order"): self.new_order,
            ("DELETE", "/api/v3/order"): self.cancel_order,
            ("GET", "/api/v3/order"): self.query_order,
            ("GET", "/api/v3/openOrders"): self.open_orders,
            ("GET", "/api/v3/allOrders"): self.all_orders,
            ("GET", "/api/v3/myTrades"): self.my_trades,
            ("GET", "/api/v3/account"): self.account,
            ("GET", "/sapi/v1/account/apiRestrictions"): self.api_restrictions,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    async def dispatch(self, request: web.Request) -> web.Response:
        method, path = request.method, request.path
        query = request.query_string
        body = (await request.text()) if request.can_read_body else ""
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(dict(parse_qsl(body, keep_blank_values=True)))
        self.engine.requests.append(
            (method, path, {k: v for k, v in params.items() if k != "signature"})
        )
        fault = self.engine.take_fault(method, path)
        if fault is not None and fault.kind != "accept_then_error":
            return self._fault(fault.kind, fault.retry_after, fault.status)
        call = Call(method, path, params)
        handler = self.public.get((method, path))
        try:
            if handler is None:
                handler = self.signed.get((method, path))
                if handler is None:
                    return _err(-1, f"The fake exchange does not serve {method} {path}.", 404)
                self._authenticate(request, call, query, body)
            result = await handler(call)
        except ExchangeRefusal as e:
            return _err(e.code, e.msg, e.status)
        if fault is not None:  # accept_then_error: done at the venue, answer lost
            return _err(
                -1007,
                "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
                fault.status,
            )
        return _json(result)

    def _fault(self, kind: str, retry_after: int, status: int) -> web.Response:
        if kind == "timestamp":
            return _err(-1021, "Timestamp for this request is outside of the recvWindow.")
        if kind == "rate_limit":
            return web.Response(
                status=429,
                text=json.dumps(
                    {
                        "code": -1003,
                        "msg": "Too many requests; current limit is 6000 request weight per 1 MINUTE.",
                    }
                ),
                content_type="application/json",
                headers={"Retry-After": str(retry_after)},
            )
        if kind == "server_error":
            return web.Response(
                status=status,
                text="<html><body>Service Unavailable</body></html>",
                content_type="text/html",
            )
        raise ValueError(f"unknown fault kind {kind!r}")

    def _authenticate(self, request: web.Request, call: Call, query: str, body: str) -> None:
        key = request.headers.get("X-MBX-APIKEY", "")
        acct = self.engine.accounts.get(key)
        if acct is None:
            raise ExchangeRefusal(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        ts = call.params.get("timestamp")
        if ts is None or not ts.isdigit():
            raise ExchangeRefusal(
                -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
            )
        window = int(call.params.get("recvWindow", "5000"))
        if window > 60_000:
            raise ExchangeRefusal(-1131, "recvWindow must be less than 60000")
        now = self.engine.now_ms()
        if not (int(ts) < now + 1000 and now - int(ts) <= window):
            raise ExchangeRefusal(-1021, "Timestamp for this request is outside of the recvWindow.")
        total = query + body
        # the signature signs everything before it (ccxt appends it last, as Binance asks)
        payload, _, signature = total.rpartition("&signature=")
        expected = hmac.new(acct.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise ExchangeRefusal(-1022, "Signature for this request is not valid.")
        call.api_key = key

    # --- public ------------------------------------------------------------------------------

    async def ping(self, call: Call) -> Any:
        return {}

    async def time(self, call: Call) -> Any:
        return {"serverTime": self.engine.now_ms()}

    async def exchange_info(self, call: Call) -> Any:
        return exchange_info(list(self.engine.markets.values()), self.engine.now_ms())

    async def klines(self, call: Call) -> Any:
        self.engine.market(call.need("symbol"))
        if call.need("interval") not in INTERVAL_MS:
            raise ExchangeRefusal(-1120, "Invalid interval.")
        return klines(call.params)

    def _ticker(self, symbol: str) -> dict[str, Any]:
        p = self.engine.prices[symbol]
        tick = self.engine.markets[symbol].tick_size
        now = self.engine.now_ms()
        return {
            "symbol": symbol,
            "priceChange": "0.00000000",
            "priceChangePercent": "0.000",
            "weightedAvgPrice": f8(p),
            "prevClosePrice": f8(p),
            "lastPrice": f8(p),
            "lastQty": "0.01000000",
            "bidPrice": f8(p - tick),
            "bidQty": "1.00000000",
            "askPrice": f8(p + tick),
            "askQty": "1.00000000",
            "openPrice": f8(p),
            "highPrice": f8(p),
            "lowPrice": f8(p),
            "volume": "100.00000000",
            "quoteVolume": f8(p * 100),
            "openTime": now - 86_400_000,
            "closeTime": now,
            "firstId": 1,
            "lastId": 100,
            "count": 100,
        }

    async def ticker(self, call: Call) -> Any:
        if "symbol" in call.params:
            self.engine.market(call.params["symbol"])
            return self._ticker(call.params["symbol"])
        return [self._ticker(s) for s in self.engine.markets]

    async def ticker_price(self, call: Call) -> Any:
        sym = call.need("symbol")
        self.engine.market(sym)
        return {"symbol": sym, "price": f8(self.engine.prices[sym])}

    async def book_ticker(self, call: Call) -> Any:
        sym = call.need("symbol")
        t = self._ticker(sym)
        return {k: t[k] for k in ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")}

    async def depth(self, call: Call) -> Any:
        sym = call.need("symbol")
        self.engine.market(sym)
        p = self.engine.prices[sym]
        tick = self.engine.markets[sym].tick_size
        n = min(int(call.params.get("limit", "5")), 20)
        return {
            "lastUpdateId": self.engine.now_ms(),
            "bids": [[f8(p - tick * (i + 1)), "1.00000000"] for i in range(n)],
            "asks": [[f8(p + tick * (i + 1)), "1.00000000"] for i in range(n)],
        }

    # --- signed ------------------------------------------------------------------------------

    async def new_order(self, call: Call) -> Any:
        qty = call.dec("quantity")
        if qty is None:
            raise ExchangeRefusal(
                -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."
            )
        order = self.engine.place(
            call.api_key,
            call.need("symbol"),
            call.need("side"),
            call.need("type"),
            qty,
            call.dec("price"),
            call.params.get("newClientOrderId"),
        )
        trades = [t for t in self.engine.trades if t.order_id == order.order_id]
        resp = call.params.get("newOrderRespType", "FULL")
        if resp == "ACK":
            return {
                "symbol": order.symbol,
                "orderId": order.order_id,
                "orderListId": -1,
                "clientOrderId": order.client_order_id,
                "transactTime": order.time_ms,
            }
        return order_json(order, full=True, trades=trades if resp == "FULL" else [])

    def _lookup(self, call: Call) -> tuple[int | None, str | None]:
        oid = call.params.get("orderId")
        coid = call.params.get("origClientOrderId")
        if oid is None and coid is None:
            raise ExchangeRefusal(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        return (int(oid) if oid is not None else None), coid

    async def cancel_order(self, call: Call) -> Any:
        oid, coid = self._lookup(call)
        o = self.engine.cancel(call.api_key, call.need("symbol"), oid, coid)
        out = order_json(o)
        out["origClientOrderId"] = o.client_order_id
        out["transactTime"] = o.update_ms
        return out

    async def query_order(self, call: Call) -> Any:
        oid, coid = self._lookup(call)
        o = self.engine.find(call.api_key, call.need("symbol"), oid, coid)
        if o is None:
            raise ExchangeRefusal(-2013, "Order does not exist.")
        return order_json(o)

    async def open_orders(self, call: Call) -> Any:
        sym = call.params.get("symbol")
        return [
            order_json(o)
            for o in self.engine.orders
            if o.api_key == call.api_key and o.open and (sym is None or o.symbol == sym)
        ]

    async def all_orders(self, call: Call) -> Any:
        sym = call.need("symbol")
        return [
            order_json(o)
            for o in self.engine.orders
            if o.api_key == call.api_key and o.symbol == sym
        ]

    async def my_trades(self, call: Call) -> Any:
        sym = call.need("symbol")
        self.engine.market(sym)
        from_id = int(call.params["fromId"]) if "fromId" in call.params else None
        start = int(call.params["startTime"]) if "startTime" in call.params else None
        end = int(call.params["endTime"]) if "endTime" in call.params else None
        limit = min(int(call.params.get("limit", "500")), 1000)
        rows = [
            t
            for t in self.engine.trades
            if t.api_key == call.api_key
            and t.symbol == sym
            and (from_id is None or t.id >= from_id)
            and (start is None or t.time_ms >= start)
            and (end is None or t.time_ms <= end)
        ]
        rows.sort(key=lambda t: t.id)
        return [trade_json(t) for t in rows[:limit]]

    async def account(self, call: Call) -> Any:
        acct = self.engine.accounts[call.api_key]
        omit = call.params.get("omitZeroBalances") == "true"
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": "0.00100000",
                "taker": "0.00100000",
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": acct.can_withdraw,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self.engine.now_ms(),
            "accountType": "SPOT",
            "balances": [
                {"asset": a, "free": f8(fl[0]), "locked": f8(fl[1])}
                for a, fl in sorted(acct.balances.items())
                if not (omit and fl[0] == 0 and fl[1] == 0)
            ],
            "permissions": ["SPOT"],
            "uid": abs(hash(acct.api_key)) % 10**9,
        }

    async def api_restrictions(self, call: Call) -> Any:
        acct = self.engine.accounts[call.api_key]
        return {
            "ipRestrict": False,
            "createTime": 1_704_067_200_000,
            "enableReading": True,
            "enableSpotAndMarginTrading": True,
            "enableWithdrawals": acct.can_withdraw,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enablePortfolioMarginTrading": False,
        }
