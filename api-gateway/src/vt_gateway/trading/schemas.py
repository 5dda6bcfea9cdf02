"""Trading answers as the gateway serves them: the contracts of `vt_contracts.trading`, wrapped in
the list shape every collection uses (`{items, next_cursor}`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vt_contracts.trading import (
    BrokerAccount,
    Deployment,
    DeploymentCreate,
    Environment,
    Fill,
    Order,
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


EnvironmentFilter = Literal["paper", "live"]

_ID = r"^[A-Za-z0-9_-]{1,64}$"


class DeploymentRequest(DeploymentCreate):
    """`DeploymentCreate` with ids restricted to what ids look like (uuids, slugs): anything else
    is refused here with a 422 that names the field instead of travelling to three services."""

    strategy_id: str = Field(pattern=_ID, description="A saved strategy of yours.")
    backtest_id: str = Field(
        pattern=_ID, description="The succeeded backtest run that qualifies it."
    )
    account_id: str | None = Field(
        default=None,
        pattern=_ID,
        description="Broker account; the user's default account for `broker` if omitted.",
    )
