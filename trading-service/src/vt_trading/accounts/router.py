"""HTTP layer of the accounts domain (internal: service token + X-User-Id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vt_contracts.trading import BrokerAccount, BrokerAccountCreate, RiskLimits
from vt_kit import SessionDep
from vt_trading.accounts import service
from vt_trading.deps import INTERNAL, CtxDep, UserId
from vt_trading.pagination import Page

router = APIRouter(prefix="/accounts", tags=["accounts"], dependencies=INTERNAL)
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post("", status_code=201, response_model=BrokerAccount, summary="Create a broker account")
async def create_account(
    body: BrokerAccountCreate, session: SessionDep, ctx: CtxDep, user_id: UserId
) -> BrokerAccount:
    return service.to_contract(await service.create_account(session, ctx, user_id, body))


@router.get("", response_model=Page[BrokerAccount], summary="Your broker accounts")
async def list_accounts(
    session: SessionDep,
    user_id: UserId,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    sort: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[BrokerAccount]:
    rows, nxt = await service.list_accounts(session, user_id, limit=limit, cursor=cursor, sort=sort)
    return Page[BrokerAccount](items=[service.to_contract(r) for r in rows], next_cursor=nxt)


@router.get("/{account_id}", response_model=BrokerAccount, summary="One broker account")
async def get_account(account_id: str, session: SessionDep, user_id: UserId) -> BrokerAccount:
    return service.to_contract(await service.get_account(session, user_id, account_id))


@router.put(
    "/{account_id}/risk-limits", response_model=BrokerAccount, summary="Change the risk limits"
)
async def put_risk_limits(
    account_id: str, body: RiskLimits, session: SessionDep, user_id: UserId
) -> BrokerAccount:
    return service.to_contract(await service.set_risk_limits(session, user_id, account_id, body))
