"""The runners of this replica: one per account whose lease this replica holds.

The supervisor looks every `TRADING_RUNNER_POLL` seconds for accounts with running deployments
whose lease is free or expired and starts an `AccountRunner` for each it wins. An account runner
recovers the account (crash recovery, reconciliation), then steps its deployments: a replay on
its clock (`bars_per_second`), a live deployment when its next bar has closed (it sleeps until
then: no busy loop). It renews its lease; when the lease is lost it stops at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import monotonic

import pandas as pd
from sqlalchemy import select

from vt_contracts import StrategySpec
from vt_db.trading_models import BrokerAccountRow, DeploymentRow, ReplayClockRow
from vt_engine.live import history_window, trim_warmup
from vt_kit.problems import ProblemError
from vt_trading import notify
from vt_trading.context import TradingContext
from vt_trading.runner import lease as lease_mod
from vt_trading.runner.step import BarStep, StepHalted
from vt_trading.trading import recovery
from vt_trading.trading import risk as risk_mod
from vt_trading.trading import service as trading_service
from vt_trading.trading.flatten import settle_ended_scopes

log = logging.getLogger(__name__)

TIMEFRAME_SECONDS = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "4h": 14400,
    "1d": 86400,
    "1w": 604800,
}


def bar_seconds(timeframe: str) -> int:
    return TIMEFRAME_SECONDS.get(timeframe, 86400)


def fetch_start(spec: StrategySpec, start: date) -> date:
    """First day to fetch so the warm-up bars exist before `start` (ENGINE's rule, shared with
    the backtest worker)."""
    return history_window(spec, start)


def trim(
    frames: dict[str, pd.DataFrame], spec: StrategySpec, start: date
) -> dict[str, pd.DataFrame]:
    """Exactly the warm-up the backtest worker keeps before `start`, and everything after it,
    so recursive indicators start from the same bar as in the backtest."""
    out, warmup = trim_warmup(frames, spec, start)
    if warmup.warning:
        log.warning("%s", warmup.warning)
    return out


async def load_frames(
    ctx: TradingContext,
    dep: DeploymentRow,
    spec: StrategySpec,
    start: date,
    end: date | None,
) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    for s in dep.symbols:
        df, _source = await ctx.upstreams.ohlcv(
            str(dep.user_id),
            s,
            timeframe=spec.universe.timeframe,
            start=fetch_start(spec, start),
            end=end,
        )
        frames[s] = df
    return trim(frames, spec, start)


@dataclass
class ReplayFeed:
    frames: dict[str, pd.DataFrame]
    bars: list[pd.Timestamp]


@dataclass
class AccountRunner:
    ctx: TradingContext
    lease: lease_mod.Lease
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    feeds: dict[uuid.UUID, ReplayFeed] = field(default_factory=dict)
    step: BarStep | None = None
    reconciled_at: float = 0.0

    async def run(self) -> None:
        self.step = BarStep(self.ctx, self.lease)
        renewer = asyncio.create_task(self._renew())
        try:
            await recovery.recover_account(self.ctx, self.lease.account_id, lease=self.lease)
            await self._reconcile("runner start")
            while not self.stop.is_set():
                if monotonic() - self.reconciled_at > self.ctx.settings.reconcile_interval_s:
                    await self._reconcile("timer")
                wait = await self._tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=wait)
        except lease_mod.LeaseLost:
            log.warning("lease of account %s lost; runner stops", self.lease.account_id)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            if not self.stop.is_set():
                self.stop.set()
            if self.step is not None:
                with contextlib.suppress(Exception):
                    await self.step.aclose()  # exchange connections of this runner
            with contextlib.suppress(Exception):
                async with self.ctx.sessionmaker() as session, session.begin():
                    await lease_mod.release(session, self.lease)

    async def _reconcile(self, reason: str) -> None:
        """Compare with the venue; breaks halt the account and open exceptions (never re-sends)."""
        from vt_trading.trading.reconcile import reconcile_account

        self.reconciled_at = monotonic()
        try:
            report = await reconcile_account(
                self.ctx, self.lease.account_id, actor="runner", reason=reason
            )
        except Exception:
            log.exception("reconciliation of %s failed", self.lease.account_id)
            return
        if report.halted:
            log.warning("reconciliation halted account %s", self.lease.account_id)
            await notify.risk_changed(self.ctx, self.lease.account_id, "halted")

    async def _renew(self) -> None:
        ttl = self.ctx.settings.lease_ttl_s
        while not self.stop.is_set():
            await asyncio.sleep(ttl / 3)
            async with self.ctx.sessionmaker() as session, session.begin():
                ok = await lease_mod.renew(session, self.lease, ttl)
            if not ok:
                log.warning("could not renew the lease of %s", self.lease.account_id)
                self.stop.set()
                return

    async def _tick(self) -> float:
        """Step every running deployment that has a bar due; seconds until the next one."""
        async with self.ctx.sessionmaker() as session:
            deps = (
                await session.scalars(
                    select(DeploymentRow).where(
                        DeploymentRow.account_id == self.lease.account_id,
                        DeploymentRow.status == "running",
                    )
                )
            ).all()
            clocks = {
                c.deployment_id: c
                for c in (
                    await session.scalars(
                        select(ReplayClockRow).where(
                            ReplayClockRow.deployment_id.in_([d.id for d in deps])
                        )
                    )
                ).all()
            }
        if not deps:
            return self.ctx.settings.runner_poll_s
        await self._flatten_if_killed()
        waits = [self.ctx.settings.runner_poll_s]
        for dep in deps:
            try:
                clock = clocks.get(dep.id)
                if clock is not None:
                    waits.append(await self._replay_bar(dep, clock))
                else:
                    waits.append(await self._live_bar(dep))
            except lease_mod.LeaseLost:
                raise
            except StepHalted as exc:
                log.warning("deployment %s step halted: %s", dep.id, exc)
            except Exception:
                log.exception("deployment %s: step failed", dep.id)
                await recovery.fail_deployment(self.ctx, dep.id, "the bar step failed; see logs")
        return max(0.0, min(waits))

    async def _flatten_if_killed(self) -> None:
        """A breaker that killed the account in a bar step (drawdown) gets what the kill switch
        does: cancel all, flatten reduce-only. The latch makes it once per kill episode."""
        async with self.ctx.sessionmaker() as session:
            row = await risk_mod.account_state(session, self.lease.account_id)
            if row is None or row.state != "killed" or row.flatten_latched:
                return
            account = await session.get(BrokerAccountRow, self.lease.account_id)
        assert account is not None
        await trading_service.kill(
            self.ctx, account.user_id, account, row.reason or "circuit breaker", actor="risk"
        )

    async def _replay_bar(self, dep: DeploymentRow, clock: ReplayClockRow) -> float:
        if clock.finished:
            return self.ctx.settings.runner_poll_s
        feed = self.feeds.get(dep.id)
        if feed is None:
            spec = StrategySpec.model_validate(dep.spec)
            frames = await load_frames(self.ctx, dep, spec, clock.start, clock.end)
            lo = pd.Timestamp(clock.start, tz="UTC")
            hi = pd.Timestamp(datetime.combine(clock.end, time.max), tz="UTC")
            common: pd.Index | None = None
            for f in frames.values():
                idx = f.index[(f.index >= lo) & (f.index <= hi)]
                common = idx if common is None else common.intersection(idx)
            feed = ReplayFeed(frames, sorted(common) if common is not None else [])
            self.feeds[dep.id] = feed
            async with self.ctx.sessionmaker() as session, session.begin():
                row = await session.get(ReplayClockRow, dep.id, with_for_update=True)
                assert row is not None
                row.bars_total = len(feed.bars)
        last = pd.Timestamp(dep.last_bar_at) if dep.last_bar_at else None
        pending = [
            b
            for b in feed.bars
            if last is None or b > last or (b == last and dep.last_phase == "open")
        ]
        if not pending:
            await self._finish_replay(dep)
            return self.ctx.settings.runner_poll_s
        t = pending[0]
        if recovery.past_expiry(dep, t.to_pydatetime()):
            # expiry counts bar time on the replay clock, as the live clock counts wall time
            await recovery.expire_deployment(self.ctx, dep.id, clock="replay", at=t.to_pydatetime())
            return self.ctx.settings.runner_poll_s
        assert self.step is not None
        outcome = await self.step.run(dep.id, t, feed.frames, replay=True)
        done = len(feed.bars) - len(pending) + 1
        async with self.ctx.sessionmaker() as session, session.begin():
            row = await session.get(ReplayClockRow, dep.id, with_for_update=True)
            assert row is not None
            row.cursor = t.to_pydatetime()
            row.bars_done = done
            row.finished = done >= len(feed.bars)
        await self._publish(dep, outcome.events)
        if done >= len(feed.bars):
            await self._finish_replay(dep)
        return 1.0 / clock.bars_per_second

    async def _finish_replay(self, dep: DeploymentRow) -> None:
        async with self.ctx.sessionmaker() as session, session.begin():
            row = await session.get(ReplayClockRow, dep.id, with_for_update=True)
            if row is not None and not row.finished:
                row.finished = True
        self.feeds.pop(dep.id, None)
        # a kill's flatten still resting here gets no further bar of this clock
        await settle_ended_scopes(self.ctx, dep.account_id)

    async def _live_bar(self, dep: DeploymentRow) -> float:
        """Step the newest closed bar when it is new; stale data halts the signal step."""
        spec = StrategySpec.model_validate(dep.spec)
        now = datetime.now(UTC)
        length = bar_seconds(dep.timeframe)
        if recovery.past_expiry(dep, now):
            await recovery.expire_deployment(self.ctx, dep.id, clock="live", at=now)
            return self.ctx.settings.runner_poll_s
        next_close = (int(now.timestamp()) // length + 1) * length
        if dep.last_bar_at is not None and (now - dep.last_bar_at).total_seconds() < length:
            return max(1.0, next_close - now.timestamp())
        start = dep.trade_start.date() if dep.trade_start else now.date()
        try:
            frames = await load_frames(self.ctx, dep, spec, start, None)
        except ProblemError as exc:
            # no data is not a failure of the deployment: it waits (fail closed, no decision)
            await recovery.stale(self.ctx, dep.id, None, math.inf, why=exc.detail)
            return max(1.0, next_close - now.timestamp())
        lasts = [f.index[-1] for f in frames.values() if len(f)]
        newest = min(lasts) if len(lasts) == len(frames) and lasts else None
        age = (now - newest.to_pydatetime()).total_seconds() if newest is not None else math.inf
        if newest is None or age > self.ctx.settings.stale_after_bars * length + length:
            # no decision on old bars: the signal step waits for fresh data
            await recovery.stale(
                self.ctx, dep.id, newest.to_pydatetime() if newest is not None else None, age
            )
            return max(1.0, next_close - now.timestamp())
        assert self.step is not None
        outcome = await self.step.run(dep.id, newest, frames)
        await self._publish(dep, outcome.events)
        return max(1.0, next_close - now.timestamp())

    async def _publish(
        self, dep: DeploymentRow, events: list[tuple[str, dict[str, object]]]
    ) -> None:
        for type_, data in events:
            await self.ctx.events.publish(str(dep.user_id), type_, data)  # type: ignore[arg-type]


class RunnerSupervisor:
    """Starts and stops the account runners of this replica."""

    def __init__(self, ctx: TradingContext, holder: str | None = None) -> None:
        self.ctx = ctx
        self.holder = holder or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.runners: dict[uuid.UUID, tuple[AccountRunner, asyncio.Task[None]]] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for runner, task in list(self.runners.values()):
            runner.stop.set()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        self.runners.clear()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.scan()
            except Exception:
                log.exception("runner scan failed")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.ctx.settings.runner_poll_s)

    async def scan(self) -> None:
        """Take the leases of accounts that have running deployments and no live runner."""
        for aid, (_runner, task) in list(self.runners.items()):
            if task.done():
                self.runners.pop(aid, None)
        async with self.ctx.sessionmaker() as session:
            accounts = set(
                (
                    await session.scalars(
                        select(DeploymentRow.account_id)
                        .where(DeploymentRow.status == "running")
                        .distinct()
                    )
                ).all()
            )
        for aid in accounts - set(self.runners):
            async with self.ctx.sessionmaker() as session, session.begin():
                got = await lease_mod.acquire(
                    session, aid, self.holder, self.ctx.settings.lease_ttl_s
                )
            if got is None:
                continue
            runner = AccountRunner(self.ctx, got)
            self.runners[aid] = (runner, asyncio.create_task(runner.run()))
