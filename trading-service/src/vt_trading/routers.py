"""Every router of the service, in one list (the app includes them in this order)."""

from __future__ import annotations

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    from vt_trading.accounts.router import router as accounts
    from vt_trading.deployments.router import router as deployments
    from vt_trading.overrides.router import router as overrides
    from vt_trading.trading.router import router as trading

    return [accounts, deployments, overrides, trading]
