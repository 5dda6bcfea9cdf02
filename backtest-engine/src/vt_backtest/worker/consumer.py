"""A Redis Streams consumer that runs backtest jobs, one at a time.

Delivery: `XREADGROUP` hands each new job to one consumer of the group `vt-backtest-workers`.
Lease: while a job runs, a heartbeat re-claims its pending entry (`XCLAIM ... JUSTID`, guarded
by a Lua check that we still own it), which resets its idle time. Reclaim: every consumer
periodically runs `XAUTOCLAIM` for entries idle longer than `claim_idle_ms` -- jobs whose worker
died (no heartbeat) -- and finishes them. Idempotency: the `backtest_runs` row decides; a finished
run is acknowledged without recomputing, the attempt counter is bumped atomically on every
pick-up, the result row is unique per run, and terminal states are never overwritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vt_backtest import events, queue
from vt_backtest.runs import repository as repo
from vt_backtest.runs.service import parse_request
from vt_backtest.settings import Settings
from vt_backtest.worker import sandbox
from vt_backtest.worker.compute import (
    Compute,
    ComputeJob,
    check_data,
    load_compute,
    warmup_fetch_start,
)
from vt_backtest.worker.errors import JobFailed, fail, problem
from vt_backtest.worker.marketdata import LoadedFrame, MarketDataClient
from vt_contracts import BacktestRequest, BacktestResult, Market, Problem
from vt_db.session import make_engine, make_sessionmaker, session_scope
from vt_kit.context import correlation_id_var, user_id_var

log = logging.getLogger(__name__)

# Renew the lease only if this consumer still owns the pending entry.
# KEYS[1] stream; ARGV: group, consumer, entry id. Returns 1 renewed, 0 gone, -1 owned by another.
_RENEW = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return 0 end
if p[1][2] ~= ARGV[2] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
"""

# Progress is split: claimed -> data loaded -> engine (mapped onto the middle) -> done.
P_CLAIMED, P_DATA, P_ENGINE_END = 0.02, 0.15, 0.97


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class _Tracker:
    """Latest progress of the running job (written by the compute thread, read by a task) and
    the signal that ends the job's side tasks."""

    value: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    timings: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False  # set by the heartbeat when the user cancelled the run
    deadline: float = float("inf")  # time.monotonic() by which the run must be done
    limit_s: float = 0.0

    def progress(self, value: float) -> None:
        """Record progress from the compute thread; stop there when the run was cancelled or
        is past its time limit."""
        if self.cancelled:
            raise RunCancelled
        if time.monotonic() > self.deadline:
            raise fail(
                422,
                "backtest-time-limit",
                "Backtest took too long",
                f"The backtest ran longer than its limit of {self.limit_s:g} s and was stopped. "
                "Shorten the period, use fewer symbols or a smaller walk-forward/sweep grid.",
            )
        self.value = max(self.value, value)

    async def wait_done(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True once the job is over."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout=seconds)
        return self.done.is_set()


class RunCancelled(Exception):
    """The user cancelled the run while it computed (raised at a progress step)."""


class Worker:
    """One consumer. Create it inside the process (and event loop) that will run it."""

    def __init__(
        self,
        settings: Settings,
        *,
        compute: Compute | None = None,
        name: str | None = None,
    ) -> None:
        self.settings = settings
        self.name = name or worker_name()
        self.compute: Compute = compute or load_compute(settings.compute)
        self.sandbox = sandbox.Reporter(self.name)
        self.jobs_done = 0
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._redis: Redis | None = None
        self._market: MarketDataClient | None = None
        self._renew: Any = None
        self._last_claim = 0.0
        self._last_janitor = time.monotonic()
        self._adopted: list[str] = []

    # -- resources ---------------------------------------------------------------------------

    async def setup(self) -> None:
        s = self.settings
        self._engine = make_engine(s.database_url.get_secret_value(), pool_size=2)
        self._sessions = make_sessionmaker(self._engine)
        self._redis = Redis.from_url(
            s.redis_url.get_secret_value(),
            decode_responses=True,
            socket_connect_timeout=3,
            health_check_interval=30,
        )
        self._renew = self._redis.register_script(_RENEW)
        self._market = MarketDataClient(
            s.market_data_url,
            internal_token=s.internal_token.get_secret_value(),
            timeout_s=s.market_data_timeout_s,
        )
        await queue.ensure_group_and_recover(self._redis, self._sessions, maxlen=s.stream_maxlen)

    async def close(self) -> None:
        if self._market is not None:
            await self._market.aclose()
        if self._redis is not None:
            await self._redis.aclose()
        if self._engine is not None:
            await self._engine.dispose()

    @property
    def redis(self) -> Redis:
        assert self._redis is not None, "call setup() first"
        return self._redis

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessions is not None, "call setup() first"
        return self._sessions

    # -- the loop ----------------------------------------------------------------------------

    async def serve(self, stop: asyncio.Event) -> None:
        """Take jobs until `stop` is set (a running job is finished first)."""
        log.info("worker %s consuming %s as %s", self.name, queue.JOBS_STREAM, queue.GROUP)
        while not stop.is_set():
            try:
                await self.step(block_ms=500)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    log.exception("worker %s loop error; retrying", self.name)
                else:  # Redis lost the stream (restart without persistence, flush)
                    with contextlib.suppress(Exception):
                        await queue.ensure_group_and_recover(
                            self.redis, self.sessions, maxlen=self.settings.stream_maxlen
                        )
                await asyncio.sleep(1.0)
            except Exception:  # Redis/DB blips: back off, never die
                log.exception("worker %s loop error; retrying", self.name)
                await asyncio.sleep(1.0)

    async def adopt(self, dead_consumers: list[str]) -> int:
        """Take over, at once, the pending jobs of consumers known to be dead (a crashed sibling
        whose process the master reaped), instead of waiting for their leases to expire."""
        taken = 0
        for dead in dead_consumers:
            while True:
                pending = await self.redis.xpending_range(
                    queue.JOBS_STREAM, queue.GROUP, min="-", max="+", count=50, consumername=dead
                )
                ids: list[Any] = [p["message_id"] for p in pending]
                if not ids:
                    break
                claimed = await self.redis.xclaim(
                    queue.JOBS_STREAM, queue.GROUP, self.name, 0, ids, justid=True
                )
                self._adopted.extend(str(i) for i in claimed)
                taken += len(claimed)
        if taken:
            log.warning("worker %s adopted %d job(s) of dead worker(s)", self.name, taken)
        return taken

    async def _next_adopted(self) -> tuple[str, dict[str, str]] | None:
        while self._adopted:
            entry_id = self._adopted.pop(0)
            rows = await self.redis.xrange(queue.JOBS_STREAM, entry_id, entry_id)
            if not rows:
                await self._ack(entry_id)
                continue
            fields: Any = rows[0][1] or {}
            return entry_id, {str(k): str(v) for k, v in fields.items()}
        return None

    async def _janitor(self) -> None:
        """Forget consumers that hold nothing and have been silent for an hour (dead workers)."""
        consumers: Any = await self.redis.xinfo_consumers(queue.JOBS_STREAM, queue.GROUP)
        for c in consumers:
            name = c["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            if int(c["pending"]) == 0 and int(c["idle"]) > 3_600_000 and name != self.name:
                await self.redis.xgroup_delconsumer(queue.JOBS_STREAM, queue.GROUP, name)

    async def step(self, block_ms: int = 500) -> bool:
        """Reclaim or read one job and handle it; False when there was nothing to do."""
        entry = await self._next_adopted()
        now = time.monotonic()
        if now - self._last_janitor >= 600:
            self._last_janitor = now
            with contextlib.suppress(Exception):
                await self._janitor()
        if entry is None and now - self._last_claim >= self.settings.claim_idle_ms / 2000:
            self._last_claim = now
            entry = await self._reclaim_one()
        if entry is None:
            entry = await self._read_one(block_ms)
        if entry is None:
            return False
        await self.handle(*entry)
        return True

    async def _read_one(self, block_ms: int) -> tuple[str, dict[str, str]] | None:
        reply: Any = await self.redis.xreadgroup(
            queue.GROUP, self.name, {queue.JOBS_STREAM: ">"}, count=1, block=block_ms
        )
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                return str(entry_id), {str(k): str(v) for k, v in (fields or {}).items()}
        return None

    async def _reclaim_one(self) -> tuple[str, dict[str, str]] | None:
        """XAUTOCLAIM one job whose lease expired (its worker died or hung)."""
        reply = await self.redis.xautoclaim(
            queue.JOBS_STREAM,
            queue.GROUP,
            self.name,
            min_idle_time=self.settings.claim_idle_ms,
            start_id="0-0",
            count=1,
            justid=True,
        )
        for entry_id in reply or []:
            rows = await self.redis.xrange(queue.JOBS_STREAM, entry_id, entry_id)
            if not rows:  # trimmed or deleted: nothing to run
                await self._ack(str(entry_id))
                continue
            log.warning("worker %s reclaimed job %s", self.name, entry_id)
            fields: Any = rows[0][1] or {}
            return str(entry_id), {str(k): str(v) for k, v in fields.items()}
        return None

    async def _ack(self, entry_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(queue.JOBS_STREAM, queue.GROUP, entry_id)
            pipe.xdel(queue.JOBS_STREAM, entry_id)
            await pipe.execute()

    # -- one job -----------------------------------------------------------------------------

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        raw_id = fields.get("run_id", "")
        try:
            run_id = uuid.UUID(raw_id)
        except ValueError:
            log.error("dropping malformed job %s: %r", entry_id, fields)
            await self._ack(entry_id)
            return
        correlation_id_var.set(f"run-{run_id}")
        async with session_scope(self.sessions) as session:
            claim = await repo.claim_run(session, run_id, self.name, self.settings.max_attempts)
        if claim.outcome == "missing":
            log.warning("job %s names unknown run %s; dropped", entry_id, run_id)
            await self._ack(entry_id)
            return
        assert claim.user_id is not None
        user_id = claim.user_id
        user_id_var.set(user_id)
        if claim.outcome == "terminal":
            log.info("run %s already %s; not recomputed", run_id, claim.status)
            await self._ack(entry_id)
            return
        if claim.outcome == "exhausted":
            await self._fail(
                run_id,
                user_id,
                problem(
                    500,
                    "backtest-poison",
                    "Backtest abandoned",
                    f"The backtest was started {claim.attempts} times and its worker stopped each time "
                    "(crash, out of memory or killed). It will not be retried; quote the run id if you report it.",
                ),
            )
            await self._ack(entry_id)
            return

        log.info("run %s attempt %d on %s", run_id, claim.attempts, self.name)
        tracker = _Tracker(
            P_CLAIMED,
            deadline=time.monotonic() + self.settings.run_time_limit_s,
            limit_s=self.settings.run_time_limit_s,
        )
        await self._progress(run_id, user_id, P_CLAIMED)
        lease = asyncio.create_task(self._heartbeat(entry_id, run_id, tracker))
        reporter = asyncio.create_task(self._report(run_id, user_id, tracker))
        try:
            assert claim.request is not None
            try:
                request = parse_request(claim.request)
            except ValidationError as exc:
                raise JobFailed(
                    problem(
                        422,
                        "validation",
                        "Invalid input",
                        f"The stored request is not a valid backtest request any more ({exc.error_count()} errors); submit it again.",
                    )
                ) from None
            result = await self._execute(request, user_id, tracker)
        except RunCancelled:
            # the cancel route already wrote `cancelled` and told the user; free the worker
            await self._stop_tasks(tracker, lease, reporter)
            log.info("run %s cancelled while computing; stopped", run_id)
            await self._ack(entry_id)
        except JobFailed as exc:
            await self._stop_tasks(tracker, lease, reporter)
            await self._fail(run_id, user_id, exc.problem)
            await self._ack(entry_id)
        except Exception as exc:
            await self._stop_tasks(tracker, lease, reporter)
            log.error(
                "run %s attempt %d failed unexpectedly: %s",
                run_id,
                claim.attempts,
                "".join(traceback.format_exception(exc)),
            )
            if claim.attempts >= self.settings.max_attempts:
                await self._fail(
                    run_id,
                    user_id,
                    problem(
                        500,
                        "backtest-poison",
                        "Backtest failed repeatedly",
                        f"The backtest failed unexpectedly on all {claim.attempts} attempts "
                        f"(last error: {type(exc).__name__}). It will not be retried; quote the run id if you report it.",
                    ),
                )
                await self._ack(entry_id)
            # else: leave it pending -- without heartbeats its lease expires and it is reclaimed.
        else:
            await self._stop_tasks(tracker, lease, reporter)
            await self._succeed(run_id, user_id, result, tracker.timings)
            await self._ack(entry_id)
            self.jobs_done += 1

    @staticmethod
    async def _stop_tasks(tracker: _Tracker, *tasks: asyncio.Task[Any]) -> None:
        """Stop the job's side tasks between two of their steps -- never cancel them mid-write,
        which could leave a pooled database or Redis connection in an unknown state."""
        tracker.done.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _heartbeat(self, entry_id: str, run_id: uuid.UUID, tracker: _Tracker) -> None:
        interval = self.settings.heartbeat_ms / 1000
        while not await tracker.wait_done(interval):
            try:
                if await self.redis.exists(queue.cancel_key(str(run_id))):
                    tracker.cancelled = True
                state = await self._renew(
                    keys=[queue.JOBS_STREAM], args=[queue.GROUP, self.name, entry_id]
                )
            except Exception:
                log.warning("lease renewal for run %s failed", run_id, exc_info=True)
                continue
            if int(state) != 1:
                log.warning(
                    "worker %s lost the lease of run %s (%s); the result is still written once",
                    self.name,
                    run_id,
                    "owned by another worker" if int(state) == -1 else "entry gone",
                )
                return

    async def _report(self, run_id: uuid.UUID, user_id: str, tracker: _Tracker) -> None:
        sent = tracker.value
        while not await tracker.wait_done(self.settings.progress_interval_s):
            value = tracker.value
            if value - sent >= 0.01:
                sent = value
                await self._progress(run_id, user_id, value)

    async def _progress(self, run_id: uuid.UUID, user_id: str, value: float) -> None:
        try:
            async with session_scope(self.sessions) as session:
                await repo.set_progress(session, run_id, value)
        except Exception:
            log.warning("could not store progress of run %s", run_id, exc_info=True)
        await events.publish(
            self.redis, run_id=str(run_id), user_id=user_id, status="running", progress=value
        )

    async def _execute(
        self, request: BacktestRequest, user_id: str, tracker: _Tracker
    ) -> BacktestResult:
        started = time.perf_counter()
        loaded, benchmark = await self._load(request, user_id, tracker)
        data = {f.symbol: f.frame for f in loaded}
        check_data(request, data)
        tracker.timings["data_s"] = time.perf_counter() - started
        tracker.progress(P_DATA)

        def on_progress(frac: float) -> None:
            tracker.progress(P_DATA + (P_ENGINE_END - P_DATA) * frac)

        market = request.spec.universe.market if request.spec else _market_of(loaded)
        job = ComputeJob(
            request=request,
            data=data,
            benchmark=benchmark.frame if benchmark is not None else None,
            data_sources={f.symbol: f.source for f in loaded}
            | ({benchmark.symbol: benchmark.source} if benchmark is not None else {}),
            market=market,
            progress=on_progress,
            sandbox_cpu_seconds=self.settings.sandbox_cpu_seconds,
            sandbox_wall_seconds=self.settings.sandbox_wall_seconds,
        )
        started = time.perf_counter()
        result = await asyncio.to_thread(self.compute, job)
        tracker.timings["engine_s"] = time.perf_counter() - started
        if request.code is not None:
            from vt_sandbox import sandbox_status

            await self.sandbox.report(self.redis, sandbox_status())
        return result

    async def _load(
        self, request: BacktestRequest, user_id: str, tracker: _Tracker
    ) -> tuple[list[LoadedFrame], LoadedFrame | None]:
        assert self._market is not None
        spec, code = request.spec, request.code
        if spec is not None:
            symbols = list(spec.universe.symbols)
            for ind in spec.indicators:
                if ind.symbol is not None and ind.symbol not in symbols:
                    symbols.append(ind.symbol)
            timeframe, start, end = spec.universe.timeframe, spec.period.start, spec.period.end
            if start is not None:
                # indicator warm-up: history before the period (issue 17); compute trims it to
                # exactly the bars needed and trades only inside the period
                start = warmup_fetch_start(request)
            bench_symbol = spec.benchmark.symbol
            adjust = spec.universe.adjust != "raw"
        else:
            assert code is not None
            symbols = list(code.symbols)
            timeframe, start, end = code.timeframe, code.start, code.end
            bench_symbol = None
            adjust = True
        wanted = symbols + ([bench_symbol] if bench_symbol and bench_symbol not in symbols else [])
        done = 0

        async def one(symbol: str) -> LoadedFrame:
            nonlocal done
            assert self._market is not None
            frame = await self._market.fetch(
                symbol, timeframe=timeframe, start=start, end=end, user_id=user_id, adjust=adjust
            )
            done += 1
            tracker.value = P_CLAIMED + (P_DATA - P_CLAIMED) * done / len(wanted)
            return frame

        frames = await asyncio.gather(*(one(s) for s in wanted))
        by_symbol = dict(zip(wanted, frames, strict=True))
        benchmark = None
        if bench_symbol:
            benchmark = by_symbol[bench_symbol]
            if bench_symbol not in symbols:
                del by_symbol[bench_symbol]
        return list(by_symbol.values()), benchmark

    # -- terminal states ---------------------------------------------------------------------

    async def _succeed(
        self,
        run_id: uuid.UUID,
        user_id: str,
        result: BacktestResult,
        timings: dict[str, float] | None = None,
    ) -> None:
        started = time.perf_counter()
        payload = result.model_dump(mode="json")
        prov = result.provenance
        async with session_scope(self.sessions) as session:
            changed = await repo.finish_success(
                session,
                run_id,
                payload=payload,
                summary=payload["summary_stats"],
                spec_hash=prov.spec_hash,
                data_hash=prov.data_hash,
                engine_version=prov.engine_version,
                run_hash=prov.run_hash,
            )
        if changed:
            t = timings or {}
            log.info(
                "run %s succeeded (run_hash %s; data %.0f ms, engine %.0f ms, store %.0f ms)",
                run_id,
                prov.run_hash[:12],
                t.get("data_s", 0.0) * 1000,
                t.get("engine_s", 0.0) * 1000,
                (time.perf_counter() - started) * 1000,
            )
            await events.publish(
                self.redis, run_id=str(run_id), user_id=user_id, status="succeeded", progress=1.0
            )
        else:
            log.info("run %s had already finished; duplicate result discarded", run_id)

    async def _fail(self, run_id: uuid.UUID, user_id: str, prob: Problem) -> None:
        prob = prob.model_copy(
            update={"instance": f"/runs/{run_id}", "correlation_id": correlation_id_var.get()}
        )
        error = prob.model_dump(mode="json", exclude_none=True)
        async with session_scope(self.sessions) as session:
            changed = await repo.finish_failure(session, run_id, error)
            progress = 0.0
            run = await repo.get_run(session, run_id) if changed else None
            if run is not None:
                progress = float(run.progress)
        if changed:
            log.info("run %s failed: %s", run_id, prob.detail)
            await events.publish(
                self.redis,
                run_id=str(run_id),
                user_id=user_id,
                status="failed",
                progress=progress,
                error=error,
            )


def _market_of(loaded: list[LoadedFrame]) -> Market:
    for f in loaded:
        if f.market in ("us_equity", "hk_equity", "crypto"):
            return cast(Market, f.market)
    symbol = loaded[0].symbol if loaded else ""
    return "crypto" if "/" in symbol else "hk_equity" if symbol.endswith(".HK") else "us_equity"


__all__ = ["Worker"]
