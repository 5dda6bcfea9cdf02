"""A kill's flatten for deployments whose clock no longer advances.

The paper venue fills a market order at the open of the next bar of its scope (the deployment's
clock). A deployment whose replay has finished, or that is stopped, paused, expired or failed, is
never stepped again, so the flatten of a kill would rest for ever and the killed account would
not end flat. The rule (docs/trading.md, "Kill flatten of an ended clock"): such a flatten
fills at once

* at the open of the next bar the market data has after the deployment's last processed bar
  (basis ``next_open``: what the venue would have done had the clock gone on), else
* at the last close the deployment was marked at, timed at that bar's close (basis
  ``last_close``: the data end there, or could not be read),

both through the venue's own matching, with the spec's slippage and commission (the cost model
the order was placed with). The order's reason becomes ``kill_flatten:<basis>`` and the audit log
records ``paper.flatten_fill`` with the basis, the bar and the price.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select

from vt_contracts.trading import InstrumentMapping
from vt_db.trading_models import BrokerAccountRow, DeploymentRow, OrderRow, ReplayClockRow
from vt_kit.problems import ProblemError
from vt_trading import audit
from vt_trading.context import TradingContext
from vt_trading.execution import repository as exec_repo
from vt_trading.execution.service import ingest_execution
from vt_trading.paper.broker import VENUE as PAPER_VENUE
from vt_trading.paper.broker import PaperBroker

log = logging.getLogger(__name__)

FLATTEN_REASON = "kill_flatten"
Basis = Literal["next_open", "last_close"]
BAR_LENGTH = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
}


def clock_ended(status: str, replay_finished: bool | None) -> bool:
    """The deployment's scope gets no more bars: it is not running, or its replay is over."""
    return status != "running" or bool(replay_finished)


@dataclass(frozen=True)
class FlattenPrint:
    """The print an ended scope's flatten fills against (a bar for the venue's matching)."""

    basis: Basis
    ts: pd.Timestamp
    bar: dict[str, float]


def flatten_print(
    frame: pd.DataFrame | None,
    after: datetime,
    last_close: Decimal | None,
    bar_length: timedelta,
) -> FlattenPrint | None:
    """The next bar after ``after`` if ``frame`` has one, else a flat print at ``last_close``
    at the close of the bar ``after`` (None when there is no price at all)."""
    if frame is not None and len(frame):
        later = frame[frame.index > pd.Timestamp(after)]
        if len(later):
            row = later.iloc[0]
            return FlattenPrint(
                "next_open",
                pd.Timestamp(later.index[0]),
                {k: float(row[k]) for k in ("open", "high", "low", "close", "volume")},
            )
    if last_close is None:
        return None
    px = float(last_close)
    return FlattenPrint(
        "last_close",
        pd.Timestamp(after) + bar_length,
        {"open": px, "high": px, "low": px, "close": px, "volume": 0.0},
    )


async def settle_ended_scopes(
    ctx: TradingContext, account_id: uuid.UUID, client_order_ids: Sequence[str] | None = None
) -> list[str]:
    """Fill the working kill-flatten orders of the account's deployments whose clock has
    ended (all of them, or those of ``client_order_ids``); returns the client ids filled.
    Orders of deployments that still step stay for their next bar. Only the paper venue is
    settled here: a real venue (IBKR, an exchange) fills a market order itself."""
    async with ctx.sessionmaker() as session:
        account = await session.get(BrokerAccountRow, account_id)
        if account is None or account.venue != PAPER_VENUE:
            return []
        q = select(OrderRow).where(
            OrderRow.account_id == account_id,
            OrderRow.reason == FLATTEN_REASON,
            OrderRow.type == "market",
            OrderRow.state.in_(("accepted", "partially_filled")),
        )
        if client_order_ids is not None:
            q = q.where(OrderRow.client_order_id.in_(list(client_order_ids)))
        orders = list((await session.scalars(q)).all())
        by_dep: dict[uuid.UUID, list[OrderRow]] = {}
        for o in orders:
            if o.deployment_id is not None:
                by_dep.setdefault(o.deployment_id, []).append(o)
        deps = {d: await session.get(DeploymentRow, d) for d in by_dep}
        clocks = {d: await session.get(ReplayClockRow, d) for d in by_dep}
    filled: list[str] = []
    for dep_id, dep_orders in by_dep.items():
        dep, clock = deps[dep_id], clocks[dep_id]
        if dep is None or dep.last_bar_at is None:
            continue
        if not clock_ended(dep.status, clock.finished if clock is not None else None):
            continue
        for symbol in sorted({o.symbol for o in dep_orders}):
            filled += await _settle(ctx, account_id, dep, symbol)
    return filled


async def _next_bars(ctx: TradingContext, dep: DeploymentRow, signal: str) -> pd.DataFrame | None:
    assert dep.last_bar_at is not None
    try:
        frame, _source = await ctx.upstreams.ohlcv(
            str(dep.user_id),
            signal,
            timeframe=dep.timeframe,
            start=dep.last_bar_at.date(),
            end=None,
        )
    except ProblemError as exc:
        log.warning("no bars after %s for %s: %s", dep.last_bar_at, signal, exc.detail)
        return None
    return frame


async def _settle(
    ctx: TradingContext, account_id: uuid.UUID, dep: DeploymentRow, symbol: str
) -> list[str]:
    assert dep.last_bar_at is not None
    maps = [InstrumentMapping.model_validate(m) for m in dep.instrument_map]
    mapping = next((m for m in maps if m.traded_symbol == symbol), None)
    signal = mapping.signal_symbol if mapping is not None else symbol
    frame = await _next_bars(ctx, dep, signal)
    async with ctx.sessionmaker() as session, session.begin():
        pos = await exec_repo.position(session, account_id, dep.id, symbol)
        last_close = Decimal(pos.last_price) if pos.last_price is not None else None
        px = flatten_print(
            frame, dep.last_bar_at, last_close, BAR_LENGTH.get(dep.timeframe, BAR_LENGTH["1d"])
        )
        if px is None:
            log.warning("kill flatten of %s %s: no price at all; it stays working", dep.id, symbol)
            return []
        broker = PaperBroker(session, account_id)
        execs = await broker.fill_markets(str(dep.id), symbol, px.ts, px.bar)
        done: list[str] = []
        for ex in execs:
            ing = await ingest_execution(
                session,
                account_id,
                venue=PAPER_VENUE,
                execution_id=ex.execution_id,
                client_order_id=ex.client_order_id,
                ts=px.ts.to_pydatetime(),
                symbol=ex.symbol,
                side=ex.side,
                qty=ex.qty,
                price=ex.price,
                fees=ex.fees,
                multiplier=mapping.multiplier if mapping is not None else Decimal(1),
                inverse=mapping.inverse if mapping is not None else False,
            )
            if ing is None or ing.order is None:
                continue
            ing.order.reason = f"{FLATTEN_REASON}:{px.basis}"
            done.append(ex.client_order_id)
            record: dict[str, Any] = {
                "client_order_id": ex.client_order_id,
                "deployment_id": str(dep.id),
                "basis": px.basis,
                "bar_at": px.ts.isoformat(),
                "reference_price": str(px.bar["open"]),
                "price": str(ex.price),
                "fees": str(ex.fees),
                "why": "the deployment's clock has ended (replay finished or deployment "
                f"{dep.status}); filled at the {px.basis.replace('_', ' ')} with the spec's costs",
            }
            await audit.append(
                session, account_id, actor="paper", kind="paper.flatten_fill", record=record
            )
        await session.flush()
        return done
