"""The one interface every venue implements (TRADING.md, "Brokers").

The trading core talks to a venue only through `Broker`: place and cancel by our deterministic
client order id, working orders, executions since a watermark, positions, balances and the
server clock. Adapters translate to their wire (ib_async, ccxt, the paper venue) and raise the
errors below, never a library's own exception, so the runner can tell "refused" (nothing was
sent or the venue said no) from "unknown" (something may be at the venue: only reconciliation
decides, the order is never re-sent).

Quantities are unsigned `Decimal`s in the traded instrument's units (contracts, shares, coins);
`side` carries the sign. Symbols are the venue's symbols of the *traded* instrument (after the
deployment's instrument map).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop"]
Watermark = str
"""An opaque, venue-specific cursor (paper: execution sequence; IB: execution time; an
exchange: trade id or timestamp). `executions_since(None)` starts from the venue's horizon."""


@dataclass(frozen=True)
class VenueOrder:
    """An order as sent: our client order id travels as IB `orderRef` / exchange
    `clientOrderId`, so a retried submission is recognised by the venue or by reconciliation."""

    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    reduce_only: bool = False
    oco_group: str | None = None


@dataclass(frozen=True)
class PlaceResult:
    """The venue accepted (or idempotently re-acknowledged) an order."""

    accepted: bool
    broker_order_id: str
    duplicate: bool = False
    detail: str = ""


@dataclass(frozen=True)
class VenueOpenOrder:
    """A working order at the venue; `client_order_id` None when the venue shows an order we
    did not send (reconciliation: unknown order)."""

    client_order_id: str | None
    broker_order_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    filled_qty: Decimal = Decimal(0)


@dataclass(frozen=True)
class VenueExecution:
    """One execution report. Idempotent on (venue, execution_id); `raw` is the venue's own
    object (secrets redacted) for the audit log."""

    execution_id: str
    client_order_id: str | None
    broker_order_id: str | None
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fees: Decimal
    ts: datetime
    fee_currency: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    multiplier: Decimal | None = None
    """The contract multiplier as the venue states it (IB: MCL 100, MBT 0.1), when it does."""


@dataclass(frozen=True)
class ExecutionPage:
    """Executions after a watermark, oldest first, and the watermark to ask from next time."""

    executions: Sequence[VenueExecution]
    watermark: Watermark | None


@dataclass(frozen=True)
class VenueBalances:
    """Account-level money and holdings as the venue reports them (spot: coin balances)."""

    currency: str
    cash: Decimal
    equity: Decimal
    positions: Mapping[str, Decimal]
    margin_used: Decimal | None = None


class BrokerError(Exception):
    """Base of every venue error an adapter raises; the message is safe to show a user."""


class BrokerUnavailable(BrokerError):
    """The venue cannot be reached or is not ready (disconnected, 5xx, maintenance): nothing
    was sent. Reads fail closed (the account halts if it persists)."""


class OrderRefused(BrokerError):
    """The venue (or our pre-send filters: lot, tick, min notional) refused the order; nothing
    is working. `code` is the venue's code when it gave one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class SubmissionUnknown(BrokerError):
    """The request may have reached the venue but its outcome is unknown (timeout, socket drop
    after send). The order becomes `unknown`; only reconciliation resolves it, never a resend."""


class InstrumentMismatch(BrokerError):
    """The deployment's instrument map disagrees with the venue's contract terms (multiplier,
    lot): sizing and P&L would be wrong, so nothing is sent until a person fixes the map."""


@dataclass(frozen=True)
class VenueInstrument:
    """A traded symbol's contract terms as the venue states them."""

    symbol: str
    multiplier: Decimal
    lot: Decimal = Decimal(1)


class BadCredentials(BrokerError):
    """The venue rejected the credentials or they lack a needed permission."""


@runtime_checkable
class Broker(Protocol):
    """One account at one venue, connected."""

    venue: str

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def server_time(self) -> datetime: ...

    async def place(self, order: VenueOrder) -> PlaceResult: ...

    async def cancel(self, client_order_id: str) -> bool:
        """True when a working order was cancelled; False when there was none (already done)."""
        ...

    async def open_orders(self) -> Sequence[VenueOpenOrder]: ...

    async def executions_since(self, watermark: Watermark | None) -> ExecutionPage: ...

    async def positions(self) -> Mapping[str, Decimal]: ...

    async def balances(self) -> VenueBalances: ...
