"""Request and answer shapes of the trading domain not in vt_contracts.trading."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from vt_contracts._base import Contract


class ManualTrade(Contract):
    """A trade made outside the system, recorded into the ledger (audited with its reason)."""

    account_id: str | None = None
    deployment_id: str | None = Field(
        default=None, description="Attribute it to this deployment; unattributed if omitted."
    )
    symbol: str = Field(min_length=1, max_length=64)
    side: Literal["buy", "sell"]
    qty: Decimal = Field(gt=0)
    price: Decimal = Field(gt=0)
    fees: Decimal = Field(default=Decimal(0), ge=0)
    ts: AwareDatetime | None = None
    reason: str = Field(min_length=3, max_length=500)


class Reattribute(Contract):
    """Move a signed quantity of a position between deployments (null: unattributed)."""

    account_id: str | None = None
    symbol: str = Field(min_length=1, max_length=64)
    qty: Decimal = Field(description="Signed: positive moves long units, negative short units.")
    from_deployment_id: str | None = None
    to_deployment_id: str | None = None
    reason: str = Field(min_length=3, max_length=500)


class CloseBreak(Contract):
    account_id: str | None = None
    exception_id: str
    reason: str = Field(min_length=3, max_length=500)


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    actor: str
    kind: str
    record: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None
    verified: bool = Field(description="True when the whole hash chain of the account verifies.")


class KillResult(BaseModel):
    account_id: str
    state: str
    flatten_orders: list[str]
