"""The IBKR connection manager: one ib_async connection per (account, role), kept honest.

States: ``disconnected → connecting → syncing → ready ⇄ degraded → broken``.

- **connecting**: a leased client id; TWS answering 326 (id in use) burns that id and leases
  the next one; the port is checked against the environment before the socket opens.
- **syncing**: the managed account is checked (paper ``DU…`` vs live), then executions,
  completed orders, positions, open orders and account updates are fetched — a broken sync
  is an error (ib_async's ``raiseSyncErrors``), never a silently partial state.
- **ready**: sends allowed. **degraded**: TWS lost IB (1100): every send is refused with
  `BrokerUnavailable` until 1101/1102; reads still work against TWS's cache.
- After every (re)connect and every 1101/1102 the ``on_ready`` hooks run (the trading core's
  reconciliation: executions since the watermark are imported, never re-sent).
- A dropped socket reconnects with exponential back-off; inside IB's daily restart window the
  attempts are quiet and do not count; after ``max_attempts`` outside it: **broken**.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ib_async import IB, ExecutionFilter
from ib_async.ib import StartupFetchNONE

from vt_trading.brokers.base import BrokerUnavailable
from vt_trading.brokers.ibkr.client_ids import ClientIdLeases
from vt_trading.brokers.ibkr.guard import Environment, check_accounts, check_port

log = logging.getLogger(__name__)

ReadyHook = Callable[[str], Awaitable[None]]
AlertHook = Callable[[int, str], Awaitable[None]]

# IB's own codes this manager acts on; everything else non-informational is an alert
LOST, RESTORED_DATA_LOST, RESTORED = 1100, 1101, 1102
CLIENT_ID_IN_USE = 326
FARM_CODES = {2103: False, 2104: True, 2105: False, 2106: True, 2107: True, 2108: True, 2158: True}
ORDER_CODES = {201, 202, 10147, 10148, 200, 110, 103, 104, 105, 161, 399, 404, 434}
INFO_CODES = {2100, 2119, 2137, 2150, 2157, 2158, 2168, 2169}


class State(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    READY = "ready"
    DEGRADED = "degraded"
    BROKEN = "broken"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    environment: Environment
    account: str = ""
    live_enabled: bool = False


@dataclass
class Backoff:
    base_s: float = 0.5
    max_s: float = 60.0
    max_attempts: int = 8
    # IB's daily server reset (and the usual TWS auto-restart) falls in this US/Eastern window
    quiet_start: time = time(23, 40)
    quiet_end: time = time(0, 50)

    def delay(self, attempt: int) -> float:
        return float(min(self.max_s, self.base_s * 2**attempt))

    def in_restart_window(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo("America/New_York")).time()
        return local >= self.quiet_start or local <= self.quiet_end


@dataclass
class ConnectionManager:
    endpoint: Endpoint
    leases: ClientIdLeases
    connect_timeout_s: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)
    auto_reconnect: bool = True
    heartbeat_s: float = 30.0
    max_client_id_tries: int = 5
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_ready: list[ReadyHook] = field(default_factory=list)
    on_alert: list[AlertHook] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ib = IB()
        self.ib.RaiseRequestErrors = True
        self.state = State.DISCONNECTED
        self.history: list[State] = [State.DISCONNECTED]
        self.client_id: int | None = None
        self.account = ""
        self.farms_ok: dict[int, bool] = {}
        self.errors: list[tuple[int, int, str]] = []
        self._closing = False
        self._seen_326 = asyncio.Event()
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.ib.errorEvent += self._on_error
        self.ib.disconnectedEvent += self._on_disconnected

    # -- public --------------------------------------------------------------------------
    @property
    def sends_allowed(self) -> bool:
        return self.state is State.READY

    def require_sendable(self) -> None:
        if self.state is State.DEGRADED:
            raise BrokerUnavailable(
                "TWS has lost its connection to IB (error 1100): orders are blocked until it "
                "is restored (1101/1102); nothing was sent"
            )
        if self.state is not State.READY:
            raise BrokerUnavailable(
                f"the IBKR connection is {self.state.value}: nothing was sent; it reconnects "
                "by itself, or check that TWS/IB Gateway is running with the API enabled"
            )

    def require_readable(self) -> None:
        if self.state not in {State.READY, State.DEGRADED}:
            raise BrokerUnavailable(
                f"the IBKR connection is {self.state.value}: cannot read the account"
            )

    async def connect(self) -> None:
        """Connect, sync and reach ``ready``; raises on a guard refusal or when TWS cannot be
        reached (the caller decides whether to retry)."""
        check_port(
            self.endpoint.environment, self.endpoint.port, live_enabled=self.endpoint.live_enabled
        )
        self._closing = False
        await self._connect_with_leases(reason="connect")
        if self.heartbeat_s > 0 and self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat())

    async def close(self) -> None:
        self._closing = True
        for task in (self._reconnecting, self._heartbeat):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._reconnecting = self._heartbeat = None
        self.ib.disconnect()
        if self.client_id is not None:
            await self.leases.release(self.client_id)
            self.client_id = None
        self._set(State.DISCONNECTED)
        await self.drain()

    async def drain(self) -> None:
        """Wait for a running reconnect (with its hooks) and the hooks started by events so far
        (tests and orderly shutdown)."""
        while self._tasks or self._reconnecting is not None:
            pending: list[asyncio.Future[Any]] = list(self._tasks)
            if self._reconnecting is not None:
                pending.append(self._reconnecting)
            await asyncio.gather(*pending, return_exceptions=True)

    async def wait_for(self, state: State) -> None:
        while self.state is not state:
            self._changed.clear()
            await self._changed.wait()

    # -- connecting ----------------------------------------------------------------------
    async def _connect_with_leases(self, reason: str) -> None:
        for _ in range(self.max_client_id_tries):
            client_id = await self.leases.acquire()
            self.client_id = client_id
            try:
                await self._connect_once(client_id)
            except _ClientIdInUse:
                log.warning("IBKR client id %s is in use (326); leasing another", client_id)
                await self.leases.burn(client_id)
                self.client_id = None
                continue
            except BaseException:
                await self.leases.release(client_id)
                self.client_id = None
                self._set(State.DISCONNECTED)
                raise
            await self._run_hooks(reason)
            return
        self._set(State.BROKEN)
        raise BrokerUnavailable(
            f"TWS refused {self.max_client_id_tries} client ids as in use (326): close stale API "
            "sessions in TWS (File → Global Configuration → API) or widen the id range"
        )

    async def _connect_once(self, client_id: int) -> None:
        self._set(State.CONNECTING)
        self._seen_326.clear()
        ep = self.endpoint
        connecting = asyncio.ensure_future(
            self.ib.connectAsync(
                ep.host,
                ep.port,
                clientId=client_id,
                timeout=self.connect_timeout_s,
                account=ep.account,
                raiseSyncErrors=True,
                fetchFields=StartupFetchNONE,
            )
        )
        refused = asyncio.ensure_future(self._seen_326.wait())
        try:
            done, _ = await asyncio.wait({connecting, refused}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            refused.cancel()
        if connecting not in done:
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            self.ib.disconnect()
            raise _ClientIdInUse
        try:
            connecting.result()
        except (ConnectionError, OSError, TimeoutError) as exc:
            if self._seen_326.is_set():
                raise _ClientIdInUse from exc
            raise BrokerUnavailable(
                f"cannot reach TWS/IB Gateway at {ep.host}:{ep.port} ({exc!r}): is it running "
                "with 'Enable ActiveX and Socket Clients' on and this port configured?"
            ) from exc
        self._set(State.SYNCING)
        try:
            self.account = check_accounts(ep.environment, ep.account, self.ib.managedAccounts())
            await self._sync()
        except BaseException:
            self.ib.disconnect()
            raise
        self._set(State.READY)

    async def _sync(self) -> None:
        """Executions, completed orders, positions, open orders and the account, each bounded:
        a sync that does not finish is an error, not a partial state."""
        t = self.connect_timeout_s
        try:
            await asyncio.wait_for(self.ib.reqExecutionsAsync(ExecutionFilter()), t)
            await asyncio.wait_for(self.ib.reqCompletedOrdersAsync(False), t)
            await asyncio.wait_for(self.ib.reqPositionsAsync(), t)
            await asyncio.wait_for(self.ib.reqOpenOrdersAsync(), t)
            await asyncio.wait_for(self.ib.reqAccountUpdatesAsync(self.account), t)
        except (TimeoutError, ConnectionError) as exc:
            raise BrokerUnavailable(f"IBKR start-up sync failed ({exc!r}): retry") from exc

    # -- events ----------------------------------------------------------------------------
    def _set(self, state: State) -> None:
        if state is not self.state:
            log.info("ibkr connection %s → %s", self.state.value, state.value)
            self.state = state
            self.history.append(state)
            self._changed.set()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        self.errors.append((req_id, code, message))
        if code == CLIENT_ID_IN_USE:
            self._seen_326.set()
        elif code == LOST:
            if self.state is State.READY:
                self._set(State.DEGRADED)
        elif code in (RESTORED, RESTORED_DATA_LOST):
            if self.state is State.DEGRADED:
                self._set(State.READY)
            self._spawn(self._restored(data_lost=code == RESTORED_DATA_LOST))
        elif code in FARM_CODES:
            self.farms_ok[code] = FARM_CODES[code]
        elif code in ORDER_CODES or code in INFO_CODES or 2100 <= code < 2200:
            return  # order codes are handled by the broker; warnings are only logged
        else:
            log.error("IBKR error %s (req %s): %s", code, req_id, message)
            for hook in self.on_alert:
                self._spawn(hook(code, message))

    async def _restored(self, data_lost: bool) -> None:
        if data_lost and self.account:
            # 1101: TWS dropped our subscriptions; take them again before reconciling
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.ib.reqAccountUpdatesAsync(self.account), self.connect_timeout_s
                )
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ib.reqPositionsAsync(), self.connect_timeout_s)
        await self._run_hooks("1101" if data_lost else "1102")

    async def _run_hooks(self, reason: str) -> None:
        for hook in self.on_ready:
            try:
                await hook(reason)
            except Exception:
                log.exception("IBKR on-ready hook failed after %s", reason)

    def _on_disconnected(self) -> None:
        if self._closing or self.state in {State.CONNECTING, State.SYNCING}:
            return
        self._set(State.DISCONNECTED)
        if self.auto_reconnect and self._reconnecting is None:
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        attempt = 0
        try:
            while not self._closing:
                quiet = self.backoff.in_restart_window(self.now())
                await asyncio.sleep(self.backoff.delay(min(attempt, 16)))
                if self.client_id is not None:
                    await self.leases.release(self.client_id)
                    self.client_id = None
                try:
                    await self._connect_with_leases(reason="reconnect")
                    return
                except BrokerUnavailable as exc:
                    if quiet:
                        log.debug("IBKR reconnect inside the daily restart window: %s", exc)
                        continue
                    attempt += 1
                    log.warning("IBKR reconnect attempt %s failed: %s", attempt, exc)
                    if attempt >= self.backoff.max_attempts:
                        self._set(State.BROKEN)
                        for hook in self.on_alert:
                            await hook(0, f"IBKR connection broken after {attempt} attempts")
                        return
        finally:
            self._reconnecting = None

    async def _beat(self) -> None:
        """Renew the client-id lease and prove the socket answers; a silent socket is dropped
        so the reconnect path takes over."""
        while not self._closing:
            await asyncio.sleep(self.heartbeat_s)
            if self.state not in {State.READY, State.DEGRADED} or self.client_id is None:
                continue
            await self.leases.renew(self.client_id)
            try:
                await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), self.connect_timeout_s)
            except (TimeoutError, ConnectionError):
                log.warning("IBKR heartbeat unanswered; dropping the socket to reconnect")
                self.ib.disconnect()


class _ClientIdInUse(Exception):
    """TWS answered 326."""
