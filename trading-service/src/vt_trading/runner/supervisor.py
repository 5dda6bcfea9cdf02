"""Runs the account runners of this replica (placeholder until the runner lands)."""

from __future__ import annotations

from vt_trading.context import TradingContext


class RunnerSupervisor:
    def __init__(self, ctx: TradingContext) -> None:
        self._ctx = ctx

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
