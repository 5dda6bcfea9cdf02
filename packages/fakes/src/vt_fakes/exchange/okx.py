"""OKX v5 REST (spot) over the fake engine, as ccxt's `okx` class calls it.

Same engine as the Binance wire (`engine.py`: markets, balances, orders, partial fills, scripted
faults); only the wire differs. What OKX does differently, and this fake with it:

- **Signing.** Private requests carry `OK-ACCESS-KEY`, `OK-ACCESS-PASSPHRASE`,
  `OK-ACCESS-TIMESTAMP` (ISO 8601, ms, `Z`) and `OK-ACCESS-SIGN` =
  base64(HMAC-SHA256(secret, timestamp + method + requestPath[?query] + body)). Checked in
  OKX's order with OKX's codes: missing headers 50103/50104/50106/50107, unknown key 50111,
  timestamp unparseable 50112 or more than 30 s from the server clock 50102, wrong passphrase
  50105, wrong signature 50113. A demo-trading key answers only with `x-simulated-trading: 1`
  and a live key only without it (50101 otherwise).
- **Envelope.** Every answer is `{"code": "0", "msg": "", "data": [...]}`; an order placement
  or cancel that fails is `code "1"` with the item's `sCode` / `sMsg` (e.g. 51008 insufficient
  balance, 51016 duplicated clOrdId, 51020 below the minimum amount, 51121 lot size).
- **Ids.** Instruments are `BTC-USDT`; `clOrdId` must be 1-32 alphanumerics (51000 otherwise);
  fills have an account-wide increasing `billId` and a per-instrument `tradeId`. Lists are
  newest first and page with `after` (older than) / `before` (newer than) a bill id or ts.

Simplifications (documented, on purpose): fees are charged in the quote currency on both sides
(real OKX charges a buy's fee in the base coin), daily and weekly candles are aligned to UTC
whether or not the bar asks for `utc`, and only the cash (non-margin) spot account is served.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from vt_fakes.exchange.binance import START_MS, kline
from vt_fakes.exchange.engine import Account, Engine, ExchangeRefusal, Market, Order, Trade

BILL_BASE = 700_000_000_000_000_000  # OKX bill ids are large increasing integers
TS_WINDOW_MS = 30_000  # OKX refuses a request timestamp more than 30 s from its clock
CLORDID = re.compile(r"^[A-Za-z0-9]{1,32}$")
BARS_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1H": 3_600_000,
    "2H": 7_200_000,
    "4H": 14_400_000,
    "6H": 21_600_000,
    "12H": 43_200_000,
    "1D": 86_400_000,
    "1W": 604_800_000,
}
STATES = {
    "NEW": "live",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "canceled",
}

Handler = Callable[["OkxCall"], Awaitable[list[Any]]]


class OkxError(Exception):
    """An envelope-level error: `{"code": code, "msg": msg, "data": data}` with an HTTP status."""

    def __init__(
        self, code: str, msg: str, status: int = 200, data: list[Any] | None = None
    ) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status
        self.data = data or []


def inst_id(m: Market) -> str:
    return f"{m.base}-{m.quote}"


def s(x: Decimal | None) -> str:
    """OKX sends numbers as plain strings ("" for none)."""
    return "" if x is None else format(x.normalize(), "f")


def clordid(o: Order) -> str:
    """The order's clOrdId: "" when none was sent (the engine names such orders `fake<id>`)."""
    return "" if o.client_order_id == f"fake{o.order_id}" else o.client_order_id


def instrument(m: Market, list_ms: int = START_MS) -> dict[str, Any]:
    return {
        "alias": "",
        "auctionEndTime": "",
        "baseCcy": m.base,
        "category": "1",
        "ctMult": "",
        "ctType": "",
        "ctVal": "",
        "ctValCcy": "",
        "expTime": "",
        "instFamily": "",
        "instId": inst_id(m),
        "instIdCode": abs(hash(inst_id(m))) % 10**6,
        "instType": "SPOT",
        "lever": "",
        "listTime": str(list_ms),
        "lotSz": s(m.step_size),
        "maxIcebergSz": s(m.max_qty),
        "maxLmtAmt": s(m.max_notional),
        "maxLmtSz": s(m.max_qty),
        "maxMktAmt": s(m.max_notional),
        "maxMktSz": s(m.max_notional),
        "maxStopSz": s(m.max_notional),
        "maxTriggerSz": s(m.max_qty),
        "maxTwapSz": s(m.max_qty),
        "minSz": s(m.min_qty),
        "optType": "",
        "quoteCcy": m.quote,
        "ruleType": "normal",
        "settleCcy": "",
        "state": "live",
        "stk": "",
        "tickSz": s(m.tick_size),
        "uly": "",
    }


class OkxCall:
    """One request: method, path, query and JSON body parameters, the account once signed."""

    def __init__(self, method: str, path: str, params: dict[str, Any]) -> None:
        self.method = method
        self.path = path
        self.params = params
        self.account: Account | None = None

    @property
    def acct(self) -> Account:
        assert self.account is not None
        return self.account

    def need(self, name: str) -> str:
        v = self.params.get(name)
        if v is None or v == "":
            raise OkxError("51000", f"Parameter {name} error")
        return str(v)

    def dec(self, name: str) -> Decimal | None:
        v = self.params.get(name)
        if v is None or v == "":
            return None
        try:
            return Decimal(str(v))
        except InvalidOperation:
            raise OkxError("51000", f"Parameter {name} error") from None

    def int_(self, name: str) -> int | None:
        v = self.params.get(name)
        if v is None or v == "":
            return None
        try:
            return int(str(v))
        except ValueError:
            raise OkxError("51000", f"Parameter {name} error") from None


def _reply(
    code: str, msg: str, data: list[Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"code": code, "msg": msg, "data": data}),
        content_type="application/json",
        headers=headers,
    )


def refusal_code(e: ExchangeRefusal) -> tuple[str, str]:
    """The engine speaks Binance codes; OKX says the same things with its own."""
    msg = e.msg
    if e.code == -1121:
        return "51001", "Instrument ID does not exist."
    if "Duplicate order" in msg:
        return "51016", "Duplicated clOrdId"
    if "insufficient balance" in msg:
        return "51008", "Order failed. Insufficient balance."
    if "PRICE_FILTER" in msg:
        return "51000", "Parameter px error"
    if "LOT_SIZE" in msg:
        return "51121", "Order quantity must be a multiple of the lot size."
    if "NOTIONAL" in msg:
        return "51020", "Your order should meet or exceed the minimum order amount."
    if e.code == -2011:
        return (
            "51400",
            "Order cancellation failed as the order has been filled, canceled or does not exist.",
        )
    return "51000", msg


class OkxWire:
    """The routes of OKX v5 REST the ccxt `okx` class calls for spot; `engine` holds the state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        p = "/api/v5/"
        self.public: dict[tuple[str, str], Handler] = {
            ("GET", p + "public/time"): self.time,
            ("GET", p + "public/instruments"): self.instruments,
            ("GET", p + "market/ticker"): self.ticker,
            ("GET", p + "market/tickers"): self.tickers,
            ("GET", p + "market/books"): self.books,
            ("GET", p + "market/candles"): self.candles,
            ("GET", p + "market/history-candles"): self.candles,
        }
        self.private: dict[tuple[str, str], Handler] = {
            ("GET", p + "account/balance"): self.balance,
            ("GET", p + "account/config"): self.config,
            ("GET", p + "asset/currencies"): self.currencies,
            ("POST", p + "trade/order"): self.place,
            ("POST", p + "trade/batch-orders"): self.place_batch,
            ("POST", p + "trade/cancel-order"): self.cancel,
            ("GET", p + "trade/order"): self.order,
            ("GET", p + "trade/orders-pending"): self.pending,
            ("GET", p + "trade/orders-history"): self.history,
            ("GET", p + "trade/fills"): self.fills,
            ("GET", p + "trade/fills-history"): self.fills,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    # --- the request path ------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.Response:
        method, path = request.method, request.path
        body = (await request.text()) if request.can_read_body else ""
        params: dict[str, Any] = dict(parse_qsl(request.query_string, keep_blank_values=True))
        batch: list[Any] | None = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                return _reply("50000", "Body can not be empty or invalid JSON.", [], 400)
            if isinstance(parsed, list):
                batch = parsed
            elif isinstance(parsed, dict):
                params.update(parsed)
        self.engine.requests.append((method, path, {k: str(v) for k, v in params.items()}))
        fault = self.engine.take_fault(method, path)
        if fault is not None and fault.kind != "accept_then_error":
            return self._fault(fault.kind, fault.retry_after, fault.status)
        call = OkxCall(method, path, params)
        if batch is not None:
            call.params["_batch"] = batch
        try:
            handler = self.public.get((method, path))
            if handler is None:
                handler = self.private.get((method, path))
                if handler is None:
                    return _reply("50014", f"The fake OKX does not serve {method} {path}.", [], 404)
                call.account = self._authenticate(request, body)
            data = await handler(call)
        except OkxError as e:
            return _reply(e.code, e.msg, e.data, e.status)
        except ExchangeRefusal as e:
            code, msg = refusal_code(e)
            return _reply(code, msg, [])
        if fault is not None:  # accept_then_error: done at the venue, the answer is lost
            return _reply(
                "50004",
                "Endpoint request timeout (does not indicate success or failure of order, "
                "please check order status)",
                [],
                fault.status,
            )
        failed = [d for d in data if isinstance(d, dict) and d.get("sCode", "0") != "0"]
        if failed:
            code = "1" if len(failed) == len(data) else "2"
            msg = "All operations failed" if code == "1" else "Bulk operation partially succeeded"
            return _reply(code, msg, data)
        return _reply("0", "", data)

    def _fault(self, kind: str, retry_after: int, status: int) -> web.Response:
        if kind == "timestamp":
            return _reply("50102", "Timestamp request expired", [], 401)
        if kind == "rate_limit":
            return _reply(
                "50011", "Too Many Requests", [], 429, headers={"Retry-After": str(retry_after)}
            )
        if kind == "server_error":
            return web.Response(
                status=status,
                text="<html><body>Service Unavailable</body></html>",
                content_type="text/html",
            )
        raise ValueError(f"unknown fault kind {kind!r}")

    def _authenticate(self, request: web.Request, body: str) -> Account:
        h = request.headers
        key = h.get("OK-ACCESS-KEY", "")
        sign = h.get("OK-ACCESS-SIGN", "")
        ts = h.get("OK-ACCESS-TIMESTAMP", "")
        passphrase = h.get("OK-ACCESS-PASSPHRASE", "")
        if not key:
            raise OkxError("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.', 401)
        if not passphrase:
            raise OkxError("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401)
        if not sign:
            raise OkxError("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401)
        if not ts:
            raise OkxError("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401)
        acct = self.engine.accounts.get(key)
        if acct is None:
            raise OkxError("50111", "Invalid OK-ACCESS-KEY", 401)
        try:
            sent = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            raise OkxError("50112", "Invalid OK-ACCESS-TIMESTAMP", 401) from None
        if abs(int(sent.timestamp() * 1000) - self.engine.now_ms()) > TS_WINDOW_MS:
            raise OkxError("50102", "Timestamp request expired", 401)
        if acct.passphrase is None or not hmac.compare_digest(acct.passphrase, passphrase):
            raise OkxError("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
        # requestPath is the path with the query string exactly as sent, then the raw body
        prehash = ts + request.method + request.raw_path + body
        expected = base64.b64encode(
            hmac.new(acct.secret.encode(), prehash.encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(expected, sign):
            raise OkxError("50113", "Invalid Sign", 401)
        simulated = h.get("x-simulated-trading") == "1"
        if simulated != acct.demo:
            raise OkxError("50101", "APIKey does not match current environment.", 401)
        return acct

    # --- helpers ---------------------------------------------------------------------------

    def _market(self, inst: str) -> Market:
        for m in self.engine.markets.values():
            if inst_id(m) == inst:
                return m
        raise OkxError("51001", "Instrument ID does not exist.")

    def _inst_type(self, call: OkxCall, required: bool = False) -> None:
        t = call.params.get("instType")
        if t is None and not required:
            return
        if t not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
            raise OkxError("51000", "Parameter instType error")

    def _order_json(self, o: Order) -> dict[str, Any]:
        m = self.engine.markets[o.symbol]
        trades = [t for t in self.engine.trades if t.order_id == o.order_id]
        last = trades[-1] if trades else None
        fee = sum((t.commission for t in trades), Decimal(0))
        avg = (o.cum_quote / o.executed) if o.executed else None
        return {
            "accFillSz": s(o.executed),
            "algoClOrdId": "",
            "algoId": "",
            "attachAlgoClOrdId": "",
            "attachAlgoOrds": [],
            "avgPx": s(avg),
            "cTime": str(o.time_ms),
            "cancelSource": "",
            "cancelSourceReason": "",
            "category": "normal",
            "ccy": "",
            "clOrdId": clordid(o),
            "fee": s(-fee) if fee else "0",
            "feeCcy": m.quote,
            "fillPx": s(last.price) if last else "",
            "fillSz": s(last.qty) if last else "",
            "fillTime": str(last.time_ms) if last else "",
            "instId": inst_id(m),
            "instType": "SPOT",
            "isTpLimit": "false",
            "lever": "",
            "linkedAlgoOrd": {"algoId": ""},
            "ordId": str(o.order_id),
            "ordType": o.type.lower(),
            "pnl": "0",
            "posSide": "net",
            "px": s(o.price),
            "pxType": "",
            "pxUsd": "",
            "pxVol": "",
            "quickMgnType": "",
            "rebate": "0",
            "rebateCcy": m.base,
            "reduceOnly": "false",
            "side": o.side.lower(),
            "slOrdPx": "",
            "slTriggerPx": "",
            "slTriggerPxType": "",
            "source": "",
            "state": STATES[o.status],
            "stpId": "",
            "stpMode": "cancel_maker",
            "sz": s(o.qty),
            "tag": "",
            "tdMode": "cash",
            "tgtCcy": "base_ccy" if o.type == "MARKET" else "",
            "tpOrdPx": "",
            "tpTriggerPx": "",
            "tpTriggerPxType": "",
            "tradeId": str(last.id) if last else "",
            "uTime": str(o.update_ms),
        }

    def _fill_json(self, idx: int, t: Trade) -> dict[str, Any]:
        m = self.engine.markets[t.symbol]
        o = next((o for o in self.engine.orders if o.order_id == t.order_id), None)
        return {
            "instType": "SPOT",
            "instId": inst_id(m),
            "tradeId": str(t.id),
            "ordId": str(t.order_id),
            "clOrdId": clordid(o) if o is not None else "",
            "billId": str(BILL_BASE + idx + 1),
            "subType": "1" if t.is_buyer else "2",
            "tag": "",
            "fillPx": s(t.price),
            "fillSz": s(t.qty),
            "fillIdxPx": s(t.price),
            "fillPnl": "0",
            "fillPxVol": "",
            "fillPxUsd": "",
            "fillMarkVol": "",
            "fillFwdPx": "",
            "fillMarkPx": "",
            "side": "buy" if t.is_buyer else "sell",
            "posSide": "net",
            "execType": "M" if t.is_maker else "T",
            "feeCcy": t.commission_asset,
            "fee": s(-t.commission),
            "ts": str(t.time_ms),
            "fillTime": str(t.time_ms),
            "feeRate": s(-self.engine.fee_rate),
        }

    def _find(self, call: OkxCall) -> tuple[Market, Order | None]:
        m = self._market(call.need("instId"))
        oid = call.params.get("ordId") or None
        coid = call.params.get("clOrdId") or None
        if oid is None and coid is None:
            raise OkxError("51000", "Parameter ordId or clOrdId error")
        order_id: int | None = None
        if oid is not None:
            try:
                order_id = int(str(oid))
            except ValueError:
                return m, None
        return m, self.engine.find(call.acct.api_key, m.symbol, order_id, coid)

    # --- public ----------------------------------------------------------------------------

    async def time(self, call: OkxCall) -> list[Any]:
        return [{"ts": str(self.engine.now_ms())}]

    async def instruments(self, call: OkxCall) -> list[Any]:
        self._inst_type(call, required=True)
        if call.params["instType"] != "SPOT":
            return []
        inst = call.params.get("instId")
        return [
            instrument(m)
            for m in self.engine.markets.values()
            if inst is None or inst_id(m) == inst
        ]

    def _ticker(self, m: Market) -> dict[str, Any]:
        p = self.engine.prices[m.symbol]
        now = self.engine.now_ms()
        return {
            "instType": "SPOT",
            "instId": inst_id(m),
            "last": s(p),
            "lastSz": "0.01",
            "askPx": s(p + m.tick_size),
            "askSz": "1",
            "bidPx": s(p - m.tick_size),
            "bidSz": "1",
            "open24h": s(p),
            "high24h": s(p),
            "low24h": s(p),
            "volCcy24h": s(p * 100),
            "vol24h": "100",
            "ts": str(now),
            "sodUtc0": s(p),
            "sodUtc8": s(p),
        }

    async def ticker(self, call: OkxCall) -> list[Any]:
        return [self._ticker(self._market(call.need("instId")))]

    async def tickers(self, call: OkxCall) -> list[Any]:
        self._inst_type(call, required=True)
        if call.params["instType"] != "SPOT":
            return []
        return [self._ticker(m) for m in self.engine.markets.values()]

    async def books(self, call: OkxCall) -> list[Any]:
        m = self._market(call.need("instId"))
        p = self.engine.prices[m.symbol]
        n = min(call.int_("sz") or 1, 20)
        return [
            {
                "asks": [[s(p + m.tick_size * (i + 1)), "1", "0", "1"] for i in range(n)],
                "bids": [[s(p - m.tick_size * (i + 1)), "1", "0", "1"] for i in range(n)],
                "ts": str(self.engine.now_ms()),
            }
        ]

    async def candles(self, call: OkxCall) -> list[Any]:
        """Newest first. `after`: bars opened before it; `before`: bars opened after it; the
        newest `limit` of what is left (OKX: 'the latest data' when only `before` is sent)."""
        self._market(call.need("instId"))
        bar = call.params.get("bar", "1m")
        step = BARS_MS.get(bar.removesuffix("utc"))
        if step is None:
            raise OkxError("51000", "Parameter bar error")
        now = self.engine.now_ms()
        after = call.int_("after")
        before = call.int_("before")
        cap = 100 if call.path.endswith("history-candles") else 300
        limit = min(call.int_("limit") or 100, cap)
        hi = min(after - 1 if after is not None else now, now)  # the newest open time allowed
        lo = max(before + 1 if before is not None else START_MS, START_MS)
        t = START_MS + ((hi - START_MS) // step) * step
        rows: list[list[str]] = []
        while t >= lo and len(rows) < limit:
            k = kline(t, step)
            confirm = "1" if t + step <= now else "0"
            rows.append([str(t), k[1], k[2], k[3], k[4], k[5], k[7], k[7], confirm])
            t -= step
        return rows

    # --- private ---------------------------------------------------------------------------

    async def balance(self, call: OkxCall) -> list[Any]:
        acct = call.acct
        wanted = set(filter(None, str(call.params.get("ccy", "")).split(",")))
        now = str(self.engine.now_ms())
        details = []
        total_eq = Decimal(0)
        for ccy, (free, locked) in sorted(acct.balances.items()):
            if (wanted and ccy not in wanted) or (free == 0 and locked == 0):
                continue
            eq = free + locked
            price = self.engine.prices.get(ccy + "USDT", Decimal(1) if ccy == "USDT" else None)
            eq_usd = eq * price if price is not None else Decimal(0)
            total_eq += eq_usd
            details.append(
                {
                    "availBal": s(free),
                    "availEq": "",
                    "cashBal": s(eq),
                    "ccy": ccy,
                    "crossLiab": "",
                    "disEq": s(eq_usd),
                    "eq": s(eq),
                    "eqUsd": s(eq_usd),
                    "fixedBal": "0",
                    "frozenBal": s(locked),
                    "interest": "",
                    "isoEq": "",
                    "isoLiab": "",
                    "liab": "",
                    "maxLoan": "",
                    "mgnRatio": "",
                    "notionalLever": "",
                    "ordFrozen": s(locked),
                    "spotBal": "",
                    "spotInUseAmt": "",
                    "stgyEq": "0",
                    "twap": "0",
                    "uTime": now,
                    "upl": "",
                    "uplLiab": "",
                }
            )
        return [
            {
                "adjEq": "",
                "borrowFroz": "",
                "details": details,
                "imr": "",
                "isoEq": "",
                "mgnRatio": "",
                "mmr": "",
                "notionalUsd": "",
                "ordFroz": "",
                "totalEq": s(total_eq),
                "uTime": now,
                "upl": "",
            }
        ]

    async def currencies(self, call: OkxCall) -> list[Any]:
        coins = sorted({c for m in self.engine.markets.values() for c in (m.base, m.quote)})
        return [
            {
                "ccy": c,
                "chain": f"{c}-{c}",
                "name": c,
                "canDep": True,
                "canWd": True,
                "canInternal": True,
                "minDep": "0.00000001",
                "minWd": "0.0001",
                "maxWd": "1000000",
                "wdTickSz": "8",
                "wdQuota": "10000000",
                "usedWdQuota": "0",
                "fee": "0.0001",
                "minFee": "0.0001",
                "maxFee": "0.0002",
                "mainNet": True,
                "needTag": False,
                "depQuotaFixed": "",
                "usedDepQuotaFixed": "",
                "depEstOpenTime": "",
                "wdEstOpenTime": "",
                "minDepArrivalConfirm": "1",
                "minWdUnlockConfirm": "2",
                "logoLink": "",
            }
            for c in coins
        ]

    async def config(self, call: OkxCall) -> list[Any]:
        acct = call.acct
        perm = "read_only,trade" + (",withdraw" if acct.can_withdraw else "")
        return [
            {
                "acctLv": "1",
                "autoLoan": False,
                "ctIsoMode": "automatic",
                "enableSpotBorrow": False,
                "greeksType": "PA",
                "ip": "",
                "kycLv": "2",
                "label": "vibetrading",
                "level": "Lv1",
                "levelTmp": "",
                "liquidationGear": "-1",
                "mainUid": str(abs(hash(acct.api_key)) % 10**9),
                "mgnIsoMode": "automatic",
                "opAuth": "0",
                "perm": perm,
                "posMode": "net_mode",
                "roleType": "0",
                "spotBorrowAutoRepay": False,
                "spotOffsetType": "",
                "spotRoleType": "0",
                "spotTraderInsts": [],
                "traderInsts": [],
                "type": "0",
                "uid": str(abs(hash(acct.api_key)) % 10**9),
            }
        ]

    def _place_one(self, acct: Account, p: dict[str, Any]) -> dict[str, Any]:
        coid = str(p.get("clOrdId") or "")
        now = str(self.engine.now_ms())
        item = {"clOrdId": coid, "ordId": "", "tag": str(p.get("tag") or ""), "ts": now}
        try:
            if coid and not CLORDID.match(coid):
                raise OkxError("51000", "Parameter clOrdId error")
            inst = str(p.get("instId") or "")
            if not inst:
                raise OkxError("51000", "Parameter instId error")
            m = self._market(inst)
            if p.get("tdMode") != "cash":
                raise OkxError("51000", "Parameter tdMode error")
            side = str(p.get("side") or "")
            if side not in ("buy", "sell"):
                raise OkxError("51000", "Parameter side error")
            ord_type = str(p.get("ordType") or "")
            if ord_type not in ("market", "limit"):
                raise OkxError("51000", "Parameter ordType error")
            try:
                sz = Decimal(str(p.get("sz")))
                px = Decimal(str(p["px"])) if p.get("px") not in (None, "") else None
            except (InvalidOperation, KeyError):
                raise OkxError("51000", "Parameter sz error") from None
            if ord_type == "limit" and px is None:
                raise OkxError("51000", "Parameter px error")
            if ord_type == "market" and side == "buy" and p.get("tgtCcy") == "quote_ccy":
                price = self.engine.prices[m.symbol]  # sz is what to spend, in the quote coin
                sz = (sz / price / m.step_size).to_integral_value(ROUND_DOWN) * m.step_size
            if sz < m.min_qty:
                raise OkxError(
                    "51020", "Your order should meet or exceed the minimum order amount."
                )
            order = self.engine.place(
                acct.api_key,
                m.symbol,
                side.upper(),
                ord_type.upper(),
                sz,
                px if ord_type == "limit" else None,
                coid or None,
            )
        except OkxError as e:
            return {**item, "sCode": e.code, "sMsg": e.msg}
        except ExchangeRefusal as e:
            code, msg = refusal_code(e)
            return {**item, "sCode": code, "sMsg": msg}
        return {
            **item,
            "clOrdId": clordid(order),
            "ordId": str(order.order_id),
            "sCode": "0",
            "sMsg": "Order placed",
        }

    async def place(self, call: OkxCall) -> list[Any]:
        return [self._place_one(call.acct, call.params)]

    async def place_batch(self, call: OkxCall) -> list[Any]:
        batch = call.params.get("_batch")
        if not isinstance(batch, list) or not batch or len(batch) > 20:
            raise OkxError("51000", "Parameter orders error")
        return [self._place_one(call.acct, dict(p)) for p in batch]

    async def cancel(self, call: OkxCall) -> list[Any]:
        m, o = self._find(call)
        item = {
            "clOrdId": str(call.params.get("clOrdId") or ""),
            "ordId": str(call.params.get("ordId") or ""),
            "ts": str(self.engine.now_ms()),
        }
        if o is None:
            code, msg = (
                "51400",
                "Order cancellation failed as the order has been filled, canceled or does not exist.",
            )
        elif o.status == "CANCELED":
            code, msg = "51401", "Order has been canceled already."
        elif o.status == "FILLED":
            code, msg = "51402", "Order has been filled already."
        else:
            self.engine.cancel(call.acct.api_key, m.symbol, o.order_id, None)
            return [
                {
                    **item,
                    "clOrdId": clordid(o),
                    "ordId": str(o.order_id),
                    "sCode": "0",
                    "sMsg": "",
                }
            ]
        return [{**item, "sCode": code, "sMsg": msg}]

    async def order(self, call: OkxCall) -> list[Any]:
        _, o = self._find(call)
        if o is None:
            raise OkxError("51603", "Order does not exist")
        return [self._order_json(o)]

    def _orders(self, call: OkxCall, want_open: bool) -> list[Any]:
        self._inst_type(call)
        inst = call.params.get("instId")
        sym = self._market(str(inst)).symbol if inst else None
        limit = min(call.int_("limit") or 100, 100)
        rows = [
            o
            for o in reversed(self.engine.orders)  # newest first
            if o.api_key == call.acct.api_key
            and (sym is None or o.symbol == sym)
            and o.open == want_open
        ]
        return [self._order_json(o) for o in rows[:limit]]

    async def pending(self, call: OkxCall) -> list[Any]:
        return self._orders(call, True)

    async def history(self, call: OkxCall) -> list[Any]:
        self._inst_type(call, required=True)
        return self._orders(call, False)

    async def fills(self, call: OkxCall) -> list[Any]:
        """Newest first, at most `limit` (100); `after` / `before` are bill ids (older / newer
        than), `begin` / `end` ms timestamps."""
        self._inst_type(call)
        inst = call.params.get("instId")
        sym = self._market(str(inst)).symbol if inst else None
        ord_id = call.params.get("ordId")
        after = call.int_("after")
        before = call.int_("before")
        begin = call.int_("begin")
        end = call.int_("end")
        limit = min(call.int_("limit") or 100, 100)
        rows: list[tuple[int, Trade]] = []
        for idx in range(len(self.engine.trades) - 1, -1, -1):
            t = self.engine.trades[idx]
            bill = BILL_BASE + idx + 1
            if (
                t.api_key != call.acct.api_key
                or (sym is not None and t.symbol != sym)
                or (ord_id is not None and str(t.order_id) != str(ord_id))
                or (after is not None and bill >= after)
                or (before is not None and bill <= before)
                or (begin is not None and t.time_ms < begin)
                or (end is not None and t.time_ms > end)
            ):
                continue
            rows.append((idx, t))
            if len(rows) >= limit:
                break
        return [self._fill_json(i, t) for i, t in rows]
