"""Broker accounts: creation (credentials encrypted), the default paper account, risk limits."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts.trading import BrokerAccount, BrokerAccountCreate, RiskLimits
from vt_db.trading_models import BrokerAccountRow
from vt_kit.problems import Conflict, NotFound, Unprocessable
from vt_trading import audit
from vt_trading.accounts import repository as repo
from vt_trading.accounts.venue_check import check_venue_credentials
from vt_trading.context import TradingContext
from vt_trading.ids import parse_id
from vt_trading.pagination import paginate, parse_sort

DEFAULT_PAPER_NAME = "Paper"
DEFAULT_PAPER_CASH = Decimal("1000000")


def to_contract(row: BrokerAccountRow) -> BrokerAccount:
    return BrokerAccount(
        id=str(row.id),
        name=row.name,
        venue=row.venue,
        environment=row.environment,  # type: ignore[arg-type]
        base_currency=row.base_currency,
        has_credentials=row.credentials_enc is not None,
        risk_limits=RiskLimits.model_validate(row.risk_limits),
        created_at=row.created_at,
    )


def limits_of(row: BrokerAccountRow) -> RiskLimits:
    return RiskLimits.model_validate(row.risk_limits)


async def create_account(
    session: AsyncSession,
    ctx: TradingContext,
    user_id: uuid.UUID,
    body: BrokerAccountCreate,
    *,
    is_default: bool = False,
) -> BrokerAccountRow:
    env = ctx.environment
    if body.environment != env:
        raise Unprocessable(
            f"this is the {env} trading service; {body.environment} accounts live in the "
            f"{body.environment} service (paper and live never mix). Send environment='{env}' "
            "or call the other service.",
            slug="wrong-environment",
        )
    if body.environment == "live" and body.venue == "paper":
        raise Unprocessable(
            "the paper venue is simulated and has no live environment; use environment='paper'.",
            slug="wrong-environment",
        )
    if await repo.name_taken(session, user_id, body.name):
        raise Conflict(f"you already have an account named '{body.name}'; choose another name.")
    await check_venue_credentials(
        ctx, body.venue, body.environment, body.credentials, body.base_currency
    )
    credentials = (
        ctx.secrets.encrypt(json.dumps(body.credentials, sort_keys=True))
        if body.credentials
        else None
    )
    row = BrokerAccountRow(
        id=uuid.uuid4(),
        user_id=user_id,
        name=body.name,
        venue=body.venue,
        environment=body.environment,
        base_currency=body.base_currency,
        starting_cash=body.starting_cash,
        credentials_enc=credentials,
        risk_limits=body.risk_limits.model_dump(mode="json"),
        is_default=is_default,
    )
    repo.add(session, row)
    await session.flush()
    if row.venue == "paper":
        repo.add_paper_balance(session, row.id, body.starting_cash)
    from vt_trading.trading.risk import initial_state_data

    repo.add_risk_state(session, row.id, initial_state_data(body.starting_cash))
    await session.flush()
    await audit.append(
        session,
        row.id,
        actor=str(user_id),
        kind="account.created",
        record={
            "name": row.name,
            "venue": row.venue,
            "environment": row.environment,
            "starting_cash": str(row.starting_cash),
            "has_credentials": credentials is not None,
            "risk_limits": row.risk_limits,
        },
    )
    await session.refresh(row)
    return row


async def resolve_account(
    session: AsyncSession,
    ctx: TradingContext,
    user_id: uuid.UUID,
    account_id: str | None,
    *,
    venue: str = "paper",
) -> BrokerAccountRow:
    """The named account of the user's (404 otherwise) or their default account for `venue`;
    a paper account is created on first use with TRADING.md's default limits."""
    if account_id is not None:
        return await get_account(session, user_id, account_id)
    found = await repo.default_for(session, user_id, venue)
    if found is not None:
        return found
    if venue != "paper" or ctx.environment != "paper":
        raise NotFound(
            f"you have no {venue} account in the {ctx.environment} environment; create one with "
            "POST /api/v1/trading/accounts first.",
            slug="account-not-found",
        )
    return await create_account(
        session,
        ctx,
        user_id,
        BrokerAccountCreate(name=DEFAULT_PAPER_NAME, starting_cash=DEFAULT_PAPER_CASH),
        is_default=True,
    )


async def get_account(
    session: AsyncSession, user_id: uuid.UUID, account_id: str
) -> BrokerAccountRow:
    aid = parse_id(account_id)
    row = await repo.get(session, user_id, aid) if aid is not None else None
    if row is None:
        raise NotFound(
            f"account '{account_id}' not found; GET /api/v1/trading/accounts lists yours.",
            slug="account-not-found",
        )
    return row


async def list_accounts(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None, sort: str | None
) -> tuple[list[BrokerAccountRow], str | None]:
    _, desc = parse_sort(sort, ["created_at"], "-created_at")
    return await paginate(
        session,
        select(BrokerAccountRow).where(BrokerAccountRow.user_id == user_id),
        column=BrokerAccountRow.created_at,
        id_column=BrokerAccountRow.id,
        limit=limit,
        cursor=cursor,
        descending=desc,
    )


async def set_risk_limits(
    session: AsyncSession, user_id: uuid.UUID, account_id: str, limits: RiskLimits
) -> BrokerAccountRow:
    row = await get_account(session, user_id, account_id)
    before = row.risk_limits
    row.risk_limits = limits.model_dump(mode="json")
    await audit.append(
        session,
        row.id,
        actor=str(user_id),
        kind="account.risk_limits",
        record={"before": before, "after": row.risk_limits},
    )
    await session.flush()
    await session.refresh(row)
    return row
