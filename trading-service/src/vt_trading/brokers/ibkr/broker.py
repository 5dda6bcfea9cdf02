"""`Broker` for Interactive Brokers on ib_async, through the connection manager.

- our client order id travels as IB ``orderRef``; a placement with an id IB already shows is
  answered as a duplicate, never sent twice;
- sends are refused (`BrokerUnavailable`, nothing sent) unless the connection is ``ready``:
  during 1100 TWS cannot reach IB;
- a placement whose answer never came (socket drop, timeout) is `SubmissionUnknown`: only
  reconciliation (``executions_since`` after the reconnect) resolves it;
- executions come from ``reqExecutions`` filtered by time; the watermark is the last execution
  second plus the ids already returned at that second, so a page never repeats an execution;
- commission reports are the fees; every raw trade, status, execution, commission and error
  object is queued for the audit log, secrets redacted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ib_async import (
    CommissionReport,
    ExecutionFilter,
    Fill,
    LimitOrder,
    MarketOrder,
    Order,
    StopOrder,
    Trade,
)
from ib_async.wrapper import RequestError

from vt_trading.brokers.base import (
    BrokerUnavailable,
    ExecutionPage,
    OrderRefused,
    PlaceResult,
    SubmissionUnknown,
    VenueBalances,
    VenueExecution,
    VenueInstrument,
    VenueOpenOrder,
    VenueOrder,
    Watermark,
)
from vt_trading.brokers.ibkr.audit_sink import AuditQueue
from vt_trading.brokers.ibkr.connection import ConnectionManager
from vt_trading.brokers.ibkr.contracts import ContractBook
from vt_trading.brokers.ibkr.raw import AuditSink, record

log = logging.getLogger(__name__)

VENUE = "ibkr"
ACKED = {"PreSubmitted", "Submitted", "Filled", "Cancelled", "ApiCancelled", "Inactive"}
DONE = {"Filled", "Cancelled", "ApiCancelled", "Inactive"}
WM_FORMAT = "%Y%m%d-%H:%M:%S"


def _dec(value: float) -> Decimal:
    """IB's floats as exact decimals without exponent noise (100.0 → 100, 0.85 → 0.85)."""
    if not value:
        return Decimal(0)
    d = Decimal(repr(value))
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def parse_watermark(watermark: Watermark | None) -> tuple[datetime | None, set[str]]:
    if not watermark:
        return None, set()
    stamp, _, ids = watermark.partition("|")
    since = datetime.strptime(stamp + "+0000", "%Y%m%d-%H:%M:%S%z")
    return since, {i for i in ids.split(",") if i}


class IbkrBroker:
    """One IBKR account through one managed connection (role: trader)."""

    venue = VENUE

    def __init__(
        self,
        connection: ConnectionManager,
        *,
        audit: AuditSink | None = None,
        dry_run: bool = False,
        roll_days: int = 5,
        ack_timeout_s: float = 10.0,
    ) -> None:
        self.connection = connection
        self.ib = connection.ib
        self.contracts = ContractBook(self.ib, roll_days=roll_days)
        self.dry_run = dry_run
        self.ack_timeout_s = ack_timeout_s
        self.audit = AuditQueue(audit)
        self._order_errors: dict[int, list[tuple[int, str]]] = {}
        self._audited_execs: set[str] = set()
        self._audited_commissions: set[str] = set()
        self.ib.openOrderEvent += self._audit_trade("ibkr.open_order")
        self.ib.orderStatusEvent += self._audit_trade("ibkr.order_status")
        self.ib.execDetailsEvent += self._on_exec
        self.ib.commissionReportEvent += self._on_commission
        self.ib.errorEvent += self._on_error

    # -- Broker ------------------------------------------------------------------------------
    async def connect(self) -> None:
        await self.connection.connect()

    async def close(self) -> None:
        await self.connection.close()
        await self.audit.close()

    async def server_time(self) -> datetime:
        self.connection.require_readable()
        try:
            return (await self.ib.reqCurrentTimeAsync()).astimezone(UTC)
        except ConnectionError as exc:
            raise BrokerUnavailable(f"IBKR did not answer the time request ({exc})") from exc

    async def place(self, order: VenueOrder) -> PlaceResult:
        _check_order(order)  # a malformed order is refused before anything else, never sent
        existing = self._trade_by_ref(order.client_order_id)
        if existing is not None:
            return PlaceResult(True, _broker_id(existing), duplicate=True, detail="already at IBKR")
        self.connection.require_sendable()
        resolved = await self._resolve(order.symbol)
        if order.qty % resolved.lot != 0:
            raise OrderRefused(
                f"{order.qty} {order.symbol} is not a whole number of board lots of "
                f"{resolved.lot}: round the target to the lot size; nothing was sent",
                code="lot",
            )
        ib_order = _ib_order(order, self.connection.account)
        self.audit.put(
            "ibkr.place_request",
            record(ib_order, contract=resolved.contract, dry_run=self.dry_run),
        )
        if self.dry_run:
            return PlaceResult(
                True, f"dry-run:{order.client_order_id}", detail="dry run: logged, not sent"
            )
        try:
            trade = self.ib.placeOrder(resolved.contract, ib_order)
        except ConnectionError as exc:
            raise BrokerUnavailable(f"IBKR is not connected ({exc}): nothing was sent") from exc
        return await self._await_ack(trade, order.client_order_id)

    async def cancel(self, client_order_id: str) -> bool:
        """Cancel our working order by its client order id (IB ``orderRef``). TWS cancels an
        order by id only from the client id that placed it: another connection's order is
        refused here (``OrderRefused``, code ``client-id``, nothing sent) — `cancel_all` is the
        way to cancel everything of the account from any connection (the kill switch)."""
        self.connection.require_sendable()
        trade = next(
            (t for t in await self._working() if t.order.orderRef == client_order_id), None
        )
        if trade is None:
            return False
        owner = trade.order.clientId
        if owner != self.connection.client_id:
            raise OrderRefused(
                f"{client_order_id} was placed by IBKR client id {owner}; TWS lets only that "
                "connection cancel it by id (or a global cancel); nothing was sent",
                code="client-id",
            )
        self.audit.put("ibkr.cancel_request", record(trade.order))
        try:
            self.ib.cancelOrder(trade.order)
        except ConnectionError as exc:
            raise BrokerUnavailable(f"IBKR is not connected ({exc}): nothing was sent") from exc
        await self._until(lambda: trade.orderStatus.status in DONE, client_order_id)
        return trade.orderStatus.status in {"Cancelled", "ApiCancelled"}

    async def cancel_all(self) -> list[VenueOpenOrder]:
        """Cancel every working order of the account at IB — ours from any client id and those
        typed into TWS — with ``reqGlobalCancel`` (the kill switch's path: TWS cancels an order
        by id only from the connection that placed it). Returns the orders that were working.

        Refused (nothing sent) when this TWS session manages other accounts too: a global
        cancel would cancel theirs. Waits until IB shows none of them working; a cancel IB does
        not confirm within the ack timeout raises `SubmissionUnknown`."""
        self.connection.require_sendable()
        managed = self.ib.managedAccounts()
        if managed != [self.connection.account]:
            raise OrderRefused(
                f"this TWS/IB Gateway session manages {', '.join(managed)}: a global cancel "
                f"would cancel orders of accounts other than {self.connection.account}; "
                "cancel them in TWS (nothing was sent)",
                code="global-cancel",
            )
        working = await self.open_orders()
        if not working:
            return []
        self.audit.put(
            "ibkr.global_cancel",
            record(
                {
                    "account": self.connection.account,
                    "working": [
                        {"client_order_id": o.client_order_id, "broker_order_id": o.broker_order_id}
                        for o in working
                    ],
                }
            ),
        )
        try:
            self.ib.reqGlobalCancel()  # type: ignore[no-untyped-call]
        except ConnectionError as exc:
            raise BrokerUnavailable(f"IBKR is not connected ({exc}): nothing was sent") from exc
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ack_timeout_s
        while await self.open_orders():
            if loop.time() > deadline:
                raise SubmissionUnknown(
                    f"IBKR did not confirm the global cancel in {self.ack_timeout_s:g}s: "
                    "orders may still be working; reconciliation shows which"
                )
            await asyncio.sleep(0.02)
        return list(working)

    async def open_orders(self) -> Sequence[VenueOpenOrder]:
        self.connection.require_readable()
        out = []
        for t in await self._working():
            out.append(
                VenueOpenOrder(
                    client_order_id=t.order.orderRef or None,
                    broker_order_id=_broker_id(t),
                    symbol=self.contracts.symbol_for(t.contract),
                    side="buy" if t.order.action == "BUY" else "sell",
                    type=_our_type(t.order.orderType),
                    qty=_dec(t.order.totalQuantity),
                    filled_qty=_dec(t.orderStatus.filled),
                )
            )
        return out

    async def executions_since(self, watermark: Watermark | None) -> ExecutionPage:
        self.connection.require_readable()
        since, seen = parse_watermark(watermark)
        flt = ExecutionFilter(
            acctCode=self.connection.account, time=since.strftime(WM_FORMAT) if since else ""
        )
        try:
            fills = await asyncio.wait_for(self.ib.reqExecutionsAsync(flt), self.ack_timeout_s)
        except (ConnectionError, TimeoutError) as exc:
            raise BrokerUnavailable(f"IBKR executions request failed ({exc!r})") from exc
        by_id: dict[str, VenueExecution] = {}
        for fill in fills:
            ex = fill.execution
            ts = ex.time.astimezone(UTC)
            if since is not None and (ts < since or (_second(ts) == since and ex.execId in seen)):
                continue
            by_id[ex.execId] = self._execution(fill)
        page = sorted(by_id.values(), key=lambda e: (e.ts, e.execution_id))
        for e in page:
            if e.execution_id not in self._audited_execs:
                self._audited_execs.add(e.execution_id)
                self.audit.put("ibkr.execution", dict(e.raw))
        if not page:
            return ExecutionPage([], watermark)
        last = _second(page[-1].ts)
        at_last = {e.execution_id for e in page if _second(e.ts) == last}
        if since == last:
            at_last |= seen
        return ExecutionPage(page, f"{last.strftime(WM_FORMAT)}|{','.join(sorted(at_last))}")

    async def positions(self) -> Mapping[str, Decimal]:
        self.connection.require_readable()
        try:
            rows = await asyncio.wait_for(self.ib.reqPositionsAsync(), self.ack_timeout_s)
        except (ConnectionError, TimeoutError) as exc:
            raise BrokerUnavailable(f"IBKR positions request failed ({exc!r})") from exc
        out: dict[str, Decimal] = {}
        for p in rows:
            if p.account != self.connection.account or not p.position:
                continue
            symbol = self.contracts.symbol_for(p.contract)
            out[symbol] = out.get(symbol, Decimal(0)) + _dec(p.position)
        return out

    async def balances(self) -> VenueBalances:
        self.connection.require_readable()
        account = self.connection.account
        try:
            await asyncio.wait_for(self.ib.reqAccountSummaryAsync(), self.ack_timeout_s)
        except (ConnectionError, TimeoutError) as exc:
            raise BrokerUnavailable(f"IBKR account summary failed ({exc!r})") from exc
        values = {
            v.tag: v
            for v in self.ib.wrapper.acctSummary.values()
            if v.account == account and v.currency in {"USD", "BASE", ""}
        }

        def num(tag: str) -> Decimal | None:
            v = values.get(tag)
            return Decimal(v.value) if v is not None and v.value else None

        equity, cash = num("NetLiquidation"), num("TotalCashValue")
        if equity is None or cash is None:
            raise BrokerUnavailable(
                f"IBKR account summary of {account} lacks NetLiquidation/TotalCashValue"
            )
        self.audit.put("ibkr.account_summary", record(list(values.values())))
        return VenueBalances(
            currency="USD",
            cash=cash,
            equity=equity,
            positions=await self.positions(),
            margin_used=num("MaintMarginReq"),
        )

    async def instrument(self, symbol: str) -> VenueInstrument:
        """The contract's terms at IB (multiplier, size increment), resolved and cached; the
        trading core checks the instrument map against them before sizing an order."""
        self.connection.require_readable()
        resolved = await self._resolve(symbol)
        return VenueInstrument(symbol, resolved.multiplier, resolved.lot)

    async def prepare(self, symbols: Sequence[str]) -> None:
        """Resolve the account's traded symbols on this connection, so positions and executions
        of those contracts come back under the symbols the deployments trade (a fresh
        connection — reconciliation, the kill switch — knows no symbol yet). A symbol IB cannot
        resolve is skipped here (its order would be refused with the reason)."""
        self.connection.require_readable()
        for symbol in symbols:
            try:
                await self._resolve(symbol)
            except OrderRefused as exc:
                log.warning("IBKR cannot resolve %s: %s", symbol, exc)

    # -- market data for signals ----------------------------------------------------------------
    async def bars(
        self, symbol: str, *, duration: str = "30 D", bar_size: str = "1 day"
    ) -> list[dict[str, Any]]:
        """Historical TRADES bars of a traded symbol (UTC timestamps), oldest first."""
        self.connection.require_readable()
        resolved = await self._resolve(symbol)
        bars = await self.ib.reqHistoricalDataAsync(
            resolved.contract, "", duration, bar_size, "TRADES", False, formatDate=2
        )
        return [
            {
                "ts": b.date,
                "open": b.open,
                "high": b.high,
                "low": b.low,
                "close": b.close,
                "volume": b.volume,
            }
            for b in bars
        ]

    # -- internals ------------------------------------------------------------------------------
    async def _resolve(self, symbol: str) -> Any:
        try:
            return await asyncio.wait_for(self.contracts.resolve(symbol), self.ack_timeout_s)
        except (ConnectionError, TimeoutError) as exc:
            raise BrokerUnavailable(
                f"IBKR contract lookup for {symbol!r} failed ({exc!r})"
            ) from exc
        except RequestError as exc:  # 200: no security definition
            raise OrderRefused(
                f"IBKR knows no contract for {symbol!r} ({exc.code}: {exc.message}): check the "
                "instrument map's traded symbol (e.g. AAPL, FUT:MCL:NYMEX)",
                code=str(exc.code),
            ) from exc

    def _trade_by_ref(self, client_order_id: str, *, working_only: bool = False) -> Trade | None:
        for t in reversed(self.ib.trades()):
            if t.order.orderRef != client_order_id:
                continue
            if working_only and t.orderStatus.status in DONE:
                continue
            return t
        return None

    async def _working(self) -> list[Trade]:
        """The account's working orders of every client id as IB answers now
        (``reqAllOpenOrders``): ib_async's cache does not learn that another client's order
        finished, so the answer, not the cache, is the truth."""
        try:
            trades = await asyncio.wait_for(self.ib.reqAllOpenOrdersAsync(), self.ack_timeout_s)
        except (ConnectionError, TimeoutError) as exc:
            raise BrokerUnavailable(f"IBKR open-orders request failed ({exc!r})") from exc
        account = self.connection.account
        seen: set[int] = set()
        out = []
        for t in trades:
            if id(t) in seen or t.orderStatus.status in DONE:
                continue
            if t.order.account and account and t.order.account != account:
                continue
            seen.add(id(t))
            out.append(t)
        return out

    async def _await_ack(self, trade: Trade, client_order_id: str) -> PlaceResult:
        order_id = trade.order.orderId
        await self._until(lambda: trade.orderStatus.status in ACKED, client_order_id)
        errors = self._order_errors.pop(order_id, [])
        status = trade.orderStatus.status
        if status in {"Cancelled", "Inactive", "ApiCancelled"} and not trade.fills:
            code, text = errors[-1] if errors else (0, f"order {status.lower()} by IBKR")
            raise OrderRefused(f"IBKR rejected {client_order_id}: {text}", code=str(code or ""))
        return PlaceResult(True, _broker_id(trade), detail=status)

    async def _until(self, done: Any, client_order_id: str) -> None:
        """Wait for ``done()``; a socket drop or silence past the ack timeout makes the
        outcome unknown (the order may be working at IB)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ack_timeout_s
        while not done():
            if not self.ib.isConnected():
                raise SubmissionUnknown(
                    f"the IBKR connection dropped before {client_order_id} was acknowledged: "
                    "its outcome is unknown; reconciliation will resolve it, it is not re-sent"
                )
            if loop.time() > deadline:
                raise SubmissionUnknown(
                    f"IBKR did not acknowledge {client_order_id} in {self.ack_timeout_s:g}s: "
                    "its outcome is unknown; reconciliation will resolve it"
                )
            await asyncio.sleep(0.005)

    def _execution(self, fill: Fill) -> VenueExecution:
        ex = fill.execution
        report = self._commission(ex.execId) or fill.commissionReport
        fees = _dec(report.commission) if report.execId else Decimal(0)
        return VenueExecution(
            execution_id=ex.execId,
            client_order_id=ex.orderRef or None,
            broker_order_id=str(ex.permId) if ex.permId else None,
            symbol=self.contracts.symbol_for(fill.contract),
            side="buy" if ex.side == "BOT" else "sell",
            qty=_dec(ex.shares),
            price=_dec(ex.price),
            fees=fees,
            ts=ex.time.astimezone(UTC),
            fee_currency=report.currency or None,
            raw=record(fill, commission_pending=not report.execId),
            multiplier=self.contracts.multiplier_for(fill.contract),
        )

    def _commission(self, exec_id: str) -> CommissionReport | None:
        known = self.ib.wrapper.fills.get(exec_id)
        if known is not None and known.commissionReport.execId:
            return known.commissionReport
        return None

    # event handlers (synchronous, from ib_async)
    def _audit_trade(self, kind: str) -> Any:
        def handler(trade: Trade) -> None:
            self.audit.put(kind, record(trade))

        return handler

    def _on_exec(self, trade: Trade, fill: Fill) -> None:
        self.audit.put("ibkr.exec_details", record(fill, order_ref=trade.order.orderRef))

    def _on_commission(self, trade: Trade, fill: Fill, report: CommissionReport) -> None:
        # ib_async re-emits known reports when reqExecutions replays them: audit each once
        if report.execId in self._audited_commissions:
            return
        self._audited_commissions.add(report.execId)
        self.audit.put("ibkr.commission_report", record(report, order_ref=trade.order.orderRef))

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        if req_id > 0:
            self._order_errors.setdefault(req_id, []).append((code, message))
        self.audit.put("ibkr.error", record({"req_id": req_id, "code": code, "message": message}))


def _second(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(microsecond=0)


def _broker_id(trade: Trade) -> str:
    return str(trade.order.permId or trade.orderStatus.permId or f"order:{trade.order.orderId}")


def _our_type(ib_type: str) -> Any:
    return {"MKT": "market", "LMT": "limit", "STP": "stop"}.get(ib_type, "market")


def _check_order(order: VenueOrder) -> None:
    """Refuse (`OrderRefused`, nothing sent) what no venue could execute as meant: a quantity
    that is not a positive finite number (the side carries the sign), a limit or stop order
    without a positive price."""
    if not order.qty.is_finite() or order.qty <= 0:
        raise OrderRefused(
            f"order {order.client_order_id}: quantity must be a positive number of "
            f"{order.symbol}, got {order.qty} (the side carries the direction); nothing was sent",
            code="qty",
        )
    for name, price in (("limit", order.limit_price), ("stop", order.stop_price)):
        needed = order.type == name
        if needed and price is None:
            raise OrderRefused(
                f"{name} order {order.client_order_id} has no {name} price; nothing was sent",
                code="price",
            )
        if price is not None and (not price.is_finite() or price <= 0):
            raise OrderRefused(
                f"order {order.client_order_id}: the {name} price must be positive, got {price}; "
                "nothing was sent",
                code="price",
            )


def _ib_order(order: VenueOrder, account: str) -> Order:
    action = "BUY" if order.side == "buy" else "SELL"
    qty = float(order.qty)
    ib_order: Order
    if order.type == "market":
        ib_order = MarketOrder(action, qty)
    elif order.type == "limit":
        if order.limit_price is None:
            raise OrderRefused(f"limit order {order.client_order_id} has no limit price")
        ib_order = LimitOrder(action, qty, float(order.limit_price))
    else:
        if order.stop_price is None:
            raise OrderRefused(f"stop order {order.client_order_id} has no stop price")
        ib_order = StopOrder(action, qty, float(order.stop_price))
    ib_order.orderRef = order.client_order_id
    ib_order.account = account
    ib_order.tif = "DAY"
    if order.oco_group:
        ib_order.ocaGroup = order.oco_group
        ib_order.ocaType = 1
    return ib_order
