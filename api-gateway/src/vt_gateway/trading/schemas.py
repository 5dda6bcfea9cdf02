"""Trading answers as the gateway serves them: the contracts of `vt_contracts.trading`, wrapped in
the list shape every collection uses (`{items, next_cursor}`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from vt_contracts.trading import (
    BrokerAccount,
    Deployment,
    Environment,
    Fill,
    Order,
    Side,
    TargetSnapshot,
    TradingException,
)


class _Page(BaseModel):
    next_cursor: str | None = Field(
        default=None, description="Pass back as `cursor` for the next page (null: last page)."
    )


class MergedPage(_Page):
    """A list merged from the paper and the live trading service."""

    unavailable: list[Environment] = Field(
        default_factory=list,
        description="Environments whose service did not answer: their items are missing from this page.",
    )


class DeploymentPage(MergedPage):
    items: list[Deployment]


class AccountPage(MergedPage):
    items: list[BrokerAccount]


class ExceptionPage(MergedPage):
    items: list[TradingException]


class TargetPage(_Page):
    items: list[TargetSnapshot]


class OrderPage(_Page):
    items: list[Order]


class FillPage(_Page):
    items: list[Fill]


class AuditRecord(BaseModel):
    """One link of the append-only, hash-chained audit log (secrets redacted)."""

    model_config = ConfigDict(extra="allow")

    id: str | int
    at: AwareDatetime | None = None
    kind: str | None = None
    hash: str | None = None
    prev_hash: str | None = None
    data: dict[str, Any] | None = None


class AuditPage(_Page):
    items: list[AuditRecord]
    verified: bool = Field(description="The hash chain of the account's log verifies.")


class ManualTrade(BaseModel):
    """Record a trade made outside the system (or a manual close), with a reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)
    account_id: str | None = None
    deployment_id: str | None = Field(default=None, description="Attribute it to a deployment.")
    symbol: str = Field(min_length=1, max_length=64)
    side: Side
    qty: Decimal = Field(gt=0)
    price: Decimal = Field(gt=0)
    fees: Decimal = Field(default=Decimal("0"), ge=0)
    ts: datetime | None = Field(default=None, description="When it traded (now if omitted).")


class Reattribute(BaseModel):
    """Move a quantity between deployments (or from/to the unattributed bucket), with a reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)
    account_id: str | None = None
    symbol: str = Field(min_length=1, max_length=64)
    qty: Decimal = Field(gt=0)
    from_deployment_id: str | None = Field(
        default=None, description="Null: the unattributed bucket."
    )
    to_deployment_id: str | None = Field(default=None, description="Null: the unattributed bucket.")


class CloseBreak(BaseModel):
    """Close a reconciliation break (an exception) after fixing it, with a reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)
    account_id: str | None = None
    exception_id: str = Field(min_length=1, max_length=64)


class ActionResult(BaseModel):
    """What a person's action on the trading system did."""

    model_config = ConfigDict(extra="allow")

    ok: bool = True
    detail: str | None = None


EnvironmentFilter = Literal["paper", "live"]
