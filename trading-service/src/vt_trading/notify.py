"""Live-update events for changes made outside a request (runner, recovery, reconciliation):
read the committed row back and publish it, so a client gets the same object the REST routes
return. Call after the transaction commits; like every event, best effort."""

from __future__ import annotations

import uuid

from vt_db.trading_models import BrokerAccountRow, DeploymentRow
from vt_trading.context import TradingContext


async def deployment_changed(ctx: TradingContext, deployment_id: uuid.UUID) -> None:
    """A `deployment` event with the deployment as `GET /deployments/{id}` answers it."""
    from vt_trading.deployments.service import to_contract

    async with ctx.sessionmaker() as session:
        row = await session.get(DeploymentRow, deployment_id)
        if row is None:
            return
        body = (await to_contract(session, row)).model_dump(mode="json")
        user = str(row.user_id)
    await ctx.events.publish(user, "deployment", body)


async def risk_changed(ctx: TradingContext, account_id: uuid.UUID, kind: str) -> None:
    """A `risk` event `{account_id, state, reason, kind}` with the account's persisted state."""
    from vt_trading.trading import risk as risk_mod

    async with ctx.sessionmaker() as session:
        account = await session.get(BrokerAccountRow, account_id)
        if account is None:
            return
        row = await risk_mod.account_state(session, account_id)
        body = {
            "account_id": str(account_id),
            "state": risk_mod.state_name(row),
            "reason": row.reason if row is not None else "risk state missing (fail closed)",
            "kind": kind,
        }
        user = str(account.user_id)
    await ctx.events.publish(user, "risk", body)
