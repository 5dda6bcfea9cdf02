"""The fake TWS server: asyncio sockets, the handshake, request dispatch and test scripting.

Tests drive it in-process (`FakeTws`), people run it with `python -m vt_fakes.tws`. Every
client connection is a `Session`; live order events go to the session of the client id that
placed the order, so events that happen while that client is away are lost exactly as at a real
TWS and only `reqExecutions` / `reqCompletedOrders` show them afterwards."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from vt_fakes.tws import messages as m
from vt_fakes.tws.venue import ContractSpec, FakeExecution, FakeOrder, OrderScript, Venue
from vt_fakes.tws.wire import HANDSHAKE_PREFIX, frame, negotiate, split_frames

log = logging.getLogger("vt_fakes.tws")

FARMS_OK = [
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
]
SUMMARY_TAGS = {
    "NetLiquidation",
    "TotalCashValue",
    "EquityWithLoanValue",
    "GrossPositionValue",
    "MaintMarginReq",
    "InitMarginReq",
    "AvailableFunds",
    "BuyingPower",
}


def _dec(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    # ib_async sends its "unset" double (sys.float_info.max) for prices that do not apply
    return None if not value.is_finite() or value > Decimal("1e300") else value


def _int(text: str) -> int:
    return int(text) if text else 0


@dataclass
class Session:
    """One client connection."""

    writer: asyncio.StreamWriter
    version: int = 0
    client_id: int | None = None
    started: bool = False
    positions_subscribed: bool = False
    account_subscribed: str = ""
    requests: list[list[str]] = field(default_factory=list)

    def send(self, fields: m.Fields) -> None:
        if not self.writer.is_closing():
            self.writer.write(frame(fields))

    def close(self) -> None:
        if not self.writer.is_closing():
            self.writer.close()


class FakeTws:
    """A scriptable TWS / IB Gateway on a loopback port, speaking server version 178."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, venue: Venue | None = None):
        self.host = host
        self.port = port
        self.venue = venue or Venue()
        self.sessions: list[Session] = []
        self.connectivity_lost = False
        self.refuse_client_ids: set[int] = set()
        # message ids the fake swallows without an answer (a hung TWS, for heartbeat tests)
        self.ignore_requests: set[int] = set()
        self.global_cancels: list[int] = []  # client ids that sent reqGlobalCancel, in order
        self._server: asyncio.Server | None = None
        self._next_order_id = 1

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> FakeTws:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("fake TWS listening on %s:%s (server version 178)", self.host, self.port)
        return self

    async def stop(self) -> None:
        for s in list(self.sessions):
            s.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    # -- scripting (tests) -------------------------------------------------------------
    def script(self, *scripts: OrderScript) -> None:
        """Queue what happens to the next orders placed (first in, first used)."""
        self.venue.scripts.extend(scripts)

    def set_price(self, symbol: str, price: Decimal) -> None:
        self.venue.prices[symbol] = price

    def drop_clients(self) -> None:
        """Close every client socket at once (a TWS crash or a network cut)."""
        for s in list(self.sessions):
            s.close()

    def lose_connectivity(self) -> None:
        """TWS lost its link to IB: error 1100 to every client; live order events are lost
        until `restore_connectivity`."""
        self.connectivity_lost = True
        self._broadcast(
            m.error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.")
        )

    def restore_connectivity(self, data_lost: bool = False) -> None:
        """1102 (restored, data maintained) or 1101 (restored, data lost: resubscribe)."""
        self.connectivity_lost = False
        if data_lost:
            text = "Connectivity between IB and TWS has been restored- data lost.*"
            self._broadcast(m.error(-1, 1101, text))
        else:
            text = "Connectivity between IB and TWS has been restored- data maintained."
            self._broadcast(m.error(-1, 1102, text))

    def farm_status(self, code: int, farm: str = "usfarm") -> None:
        """2103 (market data farm broken), 2104 (OK), 2105 (HMDS broken), 2106 (HMDS OK)."""
        texts = {
            2103: f"Market data farm connection is broken:{farm}",
            2104: f"Market data farm connection is OK:{farm}",
            2105: f"HMDS data farm connection is broken:{farm}",
            2106: f"HMDS data farm connection is OK:{farm}",
        }
        self._broadcast(m.error(-1, code, texts[code]))

    def send_error(self, code: int, text: str, req_id: int = -1) -> None:
        """Any error/warning code to every client (e.g. one the platform does not know)."""
        self._broadcast(m.error(req_id, code, text))

    def fill_working(
        self, price: Decimal | None = None, qty: Decimal | None = None
    ) -> list[FakeExecution]:
        """Fill every working order (at ``price`` or the feed); returns the executions."""
        out = []
        for order in list(self.venue.orders.values()):
            if order.done:
                continue
            out.append(
                self._execute(
                    order, qty or order.remaining, price or self.venue.price_of(order.contract)
                )
            )
        return out

    def match_working(self) -> list[FakeExecution]:
        """Match every working order against the feed as an exchange would: a market order
        fills, a limit fills when the feed is at or through its limit (at the feed price, the
        better one), a stop when the feed touches its stop. Returns the executions."""
        out = []
        for order in list(self.venue.orders.values()):
            if order.done:
                continue
            price = self.venue.marketable(order)
            if price is not None:
                out.append(self._execute(order, order.remaining, price))
        return out

    def set_commission_rate(self, rate: Decimal | None) -> None:
        """Fees as a fraction of traded value (None: IBKR Pro fixed-style per share/contract)."""
        self.venue.commission_rate = rate

    def foreign_execution(
        self, symbol: str, action: str, qty: Decimal, price: Decimal | None = None
    ) -> FakeExecution:
        """An execution the platform did not place (a trade typed into TWS by hand): client id
        0, no orderRef."""
        contract = self.venue.match_contracts(0, symbol, "", "", "")[0]
        order = FakeOrder(
            order_id=0,
            client_id=0,
            perm_id=self.venue.new_perm_id(),
            contract=contract,
            action=action,
            total_qty=qty,
            order_type="MKT",
            lmt_price=None,
            aux_price=None,
            tif="DAY",
            account=self.venue.account,
            order_ref="",
            status="Submitted",
        )
        self.venue.orders[(0, order.perm_id)] = order
        return self._execute(order, qty, price or self.venue.price_of(contract))

    def session_for(self, client_id: int) -> Session | None:
        return next((s for s in self.sessions if s.started and s.client_id == client_id), None)

    # -- connection ----------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(writer)
        self.sessions.append(session)
        try:
            prefix = await reader.readexactly(len(HANDSHAKE_PREFIX))
            if prefix != HANDSHAKE_PREFIX:
                return
            buffer = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                buffer += chunk
                msgs, buffer = split_frames(buffer)
                for fields in msgs:
                    if not session.version:
                        if not self._handshake(session, fields):
                            return
                        continue
                    session.requests.append(fields)
                    self._dispatch(session, fields)
                await writer.drain()
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            # a cancelled handler is the server shutting down: nothing left to answer
            return
        finally:
            if session in self.sessions:
                self.sessions.remove(session)
            session.close()

    def _handshake(self, session: Session, fields: list[str]) -> bool:
        version = negotiate(fields[0].encode() if fields else b"")
        if version is None:
            log.warning("client version range %r outside the fake's; closing", fields)
            return False
        session.version = version
        conn_time = datetime.now(UTC).strftime("%Y%m%d %H:%M:%S") + " UTC"
        session.writer.write(frame([version, conn_time]))
        return True

    def _broadcast(self, fields: m.Fields) -> None:
        for s in self.sessions:
            if s.started:
                s.send(fields)

    # -- requests ------------------------------------------------------------------------
    def _dispatch(self, s: Session, f: list[str]) -> None:
        msg_id = int(f[0])
        if msg_id in self.ignore_requests:
            return
        handler = {
            m.IN_START_API: self._start_api,
            m.IN_PLACE_ORDER: self._place_order,
            m.IN_CANCEL_ORDER: self._cancel_order,
            m.IN_REQ_OPEN_ORDERS: self._open_orders,
            m.IN_REQ_ALL_OPEN_ORDERS: self._open_orders,
            m.IN_REQ_AUTO_OPEN_ORDERS: lambda s, f: None,
            m.IN_REQ_ACCOUNT_UPDATES: self._account_updates,
            m.IN_REQ_ACCOUNT_UPDATES_MULTI: self._account_updates_multi,
            m.IN_REQ_ACCOUNT_SUMMARY: self._account_summary,
            m.IN_REQ_EXECUTIONS: self._executions,
            m.IN_REQ_IDS: lambda s, f: s.send(m.next_valid_id(self._next_order_id)),
            m.IN_REQ_CONTRACT_DATA: self._contract_details,
            m.IN_REQ_MANAGED_ACCTS: lambda s, f: s.send(m.managed_accounts([self.venue.account])),
            m.IN_REQ_HISTORICAL_DATA: self._historical_data,
            m.IN_REQ_CURRENT_TIME: lambda s, f: s.send(m.current_time(self.venue.now())),
            m.IN_REQ_POSITIONS: self._positions,
            m.IN_REQ_COMPLETED_ORDERS: self._completed_orders,
            m.IN_REQ_GLOBAL_CANCEL: self._global_cancel,
        }.get(msg_id)
        if handler is None:
            log.info("fake TWS ignores message %s", msg_id)
            return
        handler(s, f)

    def _start_api(self, s: Session, f: list[str]) -> None:
        client_id = _int(f[2])
        if self.session_for(client_id) is not None or client_id in self.refuse_client_ids:
            # the real TWS answers a duplicate id with 326 and closes the socket
            s.send(
                m.error(
                    -1,
                    326,
                    "Unable to connect as the client id is already in use. Retry with a unique client id.",
                )
            )
            s.close()
            return
        s.client_id = client_id
        s.started = True
        s.send(m.managed_accounts([self.venue.account]))
        s.send(m.next_valid_id(self._next_order_id))
        for code, text in FARMS_OK:
            s.send(m.error(-1, code, text))
        if self.connectivity_lost:
            s.send(
                m.error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.")
            )

    def _place_order(self, s: Session, f: list[str]) -> None:
        # placeOrder (no version field since server 145): orderId, the contract's 12 fields,
        # secIdType, secId, action, totalQuantity, orderType, lmtPrice, auxPrice, tif,
        # ocaGroup, account, openClose, origin, orderRef, ... (the rest does not matter here)
        order_id = _int(f[1])
        con_id, symbol, sec_type, expiry = _int(f[2]), f[3], f[4], f[5]
        local_symbol = f[12]
        matches = self.venue.match_contracts(con_id, symbol, sec_type, expiry, local_symbol)
        if len(matches) != 1:
            s.send(m.error(order_id, 200, "No security definition has been found for the request"))
            return
        assert s.client_id is not None
        self._next_order_id = max(self._next_order_id, order_id + 1)
        key = (s.client_id, order_id)
        existing = self.venue.orders.get(key)
        if existing is not None:
            # a second placeOrder with a known id is a modify at TWS; the fake only
            # re-reports the order (modifications are out of its scope)
            s.send(m.open_order(existing))
            s.send(m.order_status(existing))
            return
        order = FakeOrder(
            order_id=order_id,
            client_id=s.client_id,
            perm_id=self.venue.new_perm_id(),
            contract=matches[0],
            action=f[16],
            total_qty=_dec(f[17]) or Decimal(0),
            order_type=f[18],
            lmt_price=_dec(f[19]),
            aux_price=_dec(f[20]),
            tif=f[21] or "DAY",
            account=f[23] or self.venue.account,
            order_ref=f[26],
        )
        script = self.venue.next_script()
        if order.total_qty % order.contract.lot != 0:
            script = OrderScript(
                kind="reject",
                reason=f"Order size {order.total_qty} is not a multiple of the board lot "
                f"{order.contract.lot}",
            )
        if script.kind == "reject":
            order.status = "Inactive"
            order.completed_at = self.venue.tick()
            self.venue.orders[key] = order
            s.send(m.error(order_id, 201, f"Order rejected - reason:{script.reason}"))
            return
        self.venue.orders[key] = order
        if script.kind == "drop":
            s.close()
            if script.then_fill:
                self._execute(
                    order, order.total_qty, script.price or self.venue.price_of(order.contract)
                )
            return
        order.status = "Submitted"
        if script.kind == "silent":
            # the order works (and fills) at "IB", but every answer to this client is lost
            if script.then_fill:
                self.venue.fill(
                    order, order.total_qty, script.price or self.venue.price_of(order.contract)
                )
            return
        s.send(m.open_order(order))
        s.send(m.order_status(order))
        if script.kind == "rest":
            return
        if script.kind == "partial":
            qty = script.qty or (order.total_qty / 2).to_integral_value()
            self._execute(order, qty, script.price or self.venue.price_of(order.contract))
            return
        price = script.price or self.venue.marketable(order)
        if price is not None:
            self._execute(order, order.total_qty, price)

    def _execute(self, order: FakeOrder, qty: Decimal, price: Decimal) -> FakeExecution:
        execution = self.venue.fill(order, qty, price)
        owner = self.session_for(order.client_id)
        if owner is not None and not self.connectivity_lost:
            owner.send(m.exec_details(-1, execution))
            owner.send(m.open_order(order))
            owner.send(m.order_status(order))
            owner.send(m.commission_report(execution))
        self._push_account(order.contract)
        return execution

    def _push_account(self, contract: ContractSpec) -> None:
        """After a fill TWS pushes the new position to reqPositions subscribers and the new
        portfolio line and account values to reqAccountUpdates subscribers."""
        if self.connectivity_lost:
            return
        pos = self.venue.positions.get(contract.con_id)
        if pos is None:
            return
        price = self.venue.price_of(contract)
        for s in self.sessions:
            if not s.started:
                continue
            if s.positions_subscribed:
                s.send(m.position(self.venue.account, contract, pos.qty, pos.avg_cost))
            if s.account_subscribed:
                account = s.account_subscribed
                s.send(m.portfolio_value(contract, pos.qty, price, pos.avg_cost, account))
                for key, value in self._account_lines():
                    s.send(m.account_value(key, value, "USD", account))

    def _cancel_order(self, s: Session, f: list[str]) -> None:
        order_id = _int(f[2])
        order = self.venue.orders.get((s.client_id or 0, order_id))
        if order is None or order.done:
            s.send(
                m.error(
                    order_id, 10147, f"OrderId {order_id} that needs to be cancelled is not found."
                )
            )
            return
        order.status = "Cancelled"
        order.completed_at = self.venue.tick()
        s.send(m.order_status(order))
        s.send(m.error(order_id, 202, "Order Canceled - reason:"))

    def _global_cancel(self, s: Session, f: list[str]) -> None:
        self.global_cancels.append(s.client_id or 0)
        for order in self.venue.orders.values():
            if not order.done:
                order.status = "Cancelled"
                order.completed_at = self.venue.tick()
                owner = self.session_for(order.client_id)
                if owner is not None:
                    owner.send(m.order_status(order))
                    owner.send(m.error(order.order_id, 202, "Order Canceled - reason:"))

    def _open_orders(self, s: Session, f: list[str]) -> None:
        all_clients = int(f[0]) == m.IN_REQ_ALL_OPEN_ORDERS
        for order in self.venue.orders.values():
            if order.done or (not all_clients and order.client_id != s.client_id):
                continue
            s.send(m.open_order(order))
            s.send(m.order_status(order))
        s.send(m.open_order_end())

    def _completed_orders(self, s: Session, f: list[str]) -> None:
        for order in self.venue.orders.values():
            if order.done:
                s.send(m.completed_order(order))
        s.send(m.completed_orders_end())

    def _executions(self, s: Session, f: list[str]) -> None:
        # reqExecutions v3: reqId, clientId, acctCode, time, symbol, secType, exchange, side
        req_id = _int(f[2])
        client_filter, account, since, symbol = _int(f[3]), f[4], _parse_filter_time(f[5]), f[6]
        for e in self.venue.executions:
            if client_filter and e.client_id != client_filter:
                continue
            if account and e.account != account:
                continue
            if since is not None and e.time < since:
                continue
            if symbol and e.contract.symbol != symbol:
                continue
            s.send(m.exec_details(req_id, e))
            s.send(m.commission_report(e))
        s.send(m.exec_details_end(req_id))

    def _contract_details(self, s: Session, f: list[str]) -> None:
        # reqContractDetails v8: reqId, conId, symbol, secType, lastTradeDate, strike, right,
        # multiplier, exchange, primaryExchange, currency, localSymbol, tradingClass, ...
        req_id = _int(f[2])
        matches = self.venue.match_contracts(_int(f[3]), f[4], f[5], f[6], f[13])
        if not matches:
            s.send(m.error(req_id, 200, "No security definition has been found for the request"))
            return
        for c in matches:
            s.send(m.contract_details(req_id, c))
        s.send(m.contract_details_end(req_id))

    def _positions(self, s: Session, f: list[str]) -> None:
        s.positions_subscribed = True
        for con_id, pos in self.venue.positions.items():
            c = self.venue.contract_by_id(con_id)
            s.send(m.position(self.venue.account, c, pos.qty, pos.avg_cost))
        s.send(m.position_end())

    def _account_lines(self) -> list[tuple[str, str]]:
        return [
            (k, m.num(v.quantize(Decimal("0.01")))) for k, v in self.venue.account_values().items()
        ]

    def _account_updates(self, s: Session, f: list[str]) -> None:
        if f[2] != "1":
            s.account_subscribed = ""
            return
        account = f[3] or self.venue.account
        s.account_subscribed = account
        for key, value in self._account_lines():
            s.send(m.account_value(key, value, "USD", account))
        s.send(m.account_value("AccountType", "INDIVIDUAL", "", account))
        for con_id, pos in self.venue.positions.items():
            c = self.venue.contract_by_id(con_id)
            s.send(m.portfolio_value(c, pos.qty, self.venue.price_of(c), pos.avg_cost, account))
        s.send(m.account_update_time(self.venue.now()))
        s.send(m.account_download_end(account))

    def _account_updates_multi(self, s: Session, f: list[str]) -> None:
        req_id, account = _int(f[2]), f[3] or self.venue.account
        for key, value in self._account_lines():
            s.send(m.account_update_multi(req_id, account, key, value, "USD"))
        s.send(m.account_update_multi_end(req_id))

    def _account_summary(self, s: Session, f: list[str]) -> None:
        req_id, tags = _int(f[2]), set(f[4].split(","))
        for key, value in self._account_lines():
            if key in tags or "All" in tags or key in SUMMARY_TAGS & tags:
                s.send(m.account_summary(req_id, self.venue.account, key, value, "USD"))
        s.send(m.account_summary_end(req_id))

    def _historical_data(self, s: Session, f: list[str]) -> None:
        # reqHistoricalData: reqId, contract (12), includeExpired, endDateTime, barSize,
        # duration, useRTH, whatToShow, formatDate, keepUpToDate, chartOptions
        req_id = _int(f[1])
        matches = self.venue.match_contracts(_int(f[2]), f[3], f[4], f[5], f[12])
        if not matches:
            s.send(m.error(req_id, 200, "No security definition has been found for the request"))
            return
        contract = matches[0]
        end = _parse_filter_time(f[15]) or self.venue.now()
        step = _bar_seconds(f[16])
        count = min(2000, max(1, _duration_seconds(f[17]) // step))
        bars = _synthetic_bars(
            contract, self.venue.price_of(contract), end, step, count, f[20] == "2"
        )
        fmt = "%Y%m%d %H:%M:%S"
        start = end - timedelta(seconds=step * count)
        s.send(m.historical_data(req_id, start.strftime(fmt), end.strftime(fmt), bars))


def _parse_filter_time(text: str) -> datetime | None:
    """`yyyymmdd-hh:mm:ss` (UTC) or `yyyymmdd hh:mm:ss [zone]`, as TWS accepts them."""
    parts = text.strip().replace("-", " ", 1).split(" ")
    if not parts[0]:
        return None
    zone = ZoneInfo(parts[2]) if len(parts) > 2 else UTC
    clock = parts[1] if len(parts) > 1 else "00:00:00"
    stamp = f"{parts[0]}{clock}+0000"
    return datetime.strptime(stamp, "%Y%m%d%H:%M:%S%z").replace(tzinfo=zone).astimezone(UTC)


def _bar_seconds(size: str) -> int:
    n, unit = size.split(" ", 1)
    scale = {
        "sec": 1,
        "secs": 1,
        "min": 60,
        "mins": 60,
        "hour": 3600,
        "hours": 3600,
        "day": 86400,
        "week": 604800,
    }
    return int(n) * scale.get(unit, 86400)


def _duration_seconds(duration: str) -> int:
    n, unit = duration.split(" ", 1)
    scale = {"S": 1, "D": 86400, "W": 604800, "M": 2_592_000, "Y": 31_536_000}
    return int(n) * scale.get(unit, 86400)


def _synthetic_bars(
    c: ContractSpec, last: Decimal, end: datetime, step: int, count: int, epoch: bool
) -> list[tuple[str, ...]]:
    """Deterministic bars ending at the feed price: a smooth wave per symbol (no randomness,
    so tests can assert exact values)."""
    out: list[tuple[str, ...]] = []
    base = float(last)
    seed = c.con_id % 97
    for i in range(count):
        ts = end - timedelta(seconds=step * (count - 1 - i))
        k = count - 1 - i
        close = base * (1 + 0.01 * math.sin((seed + k) / 5.0)) if k else base
        open_ = close * (1 - 0.002 * math.cos((seed + k) / 3.0))
        high, low = max(open_, close) * 1.003, min(open_, close) * 0.997
        if epoch:
            label = str(int(ts.timestamp()))
        elif step >= 86400:
            label = ts.strftime("%Y%m%d")
        else:
            label = ts.astimezone(UTC).strftime("%Y%m%d %H:%M:%S") + " UTC"
        out.append(
            (
                label,
                f"{open_:.2f}",
                f"{high:.2f}",
                f"{low:.2f}",
                f"{close:.2f}",
                "1000",
                f"{close:.2f}",
                "10",
            )
        )
    return out
