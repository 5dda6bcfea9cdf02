"""Runs logic: create + enqueue, read with result, list with keyset pagination."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vt_backtest import events, queue
from vt_backtest.runs import repository as repo
from vt_backtest.runs.schemas import CreateRun, RunCreated, RunPage, RunSummary
from vt_backtest.settings import Settings
from vt_backtest.worker.errors import problem
from vt_contracts import BacktestRequest
from vt_kit.problems import Conflict, NotFound, TooManyRequests, Unavailable, Unprocessable

log = logging.getLogger(__name__)

SORTS = ("created_at", "-created_at")


def build_request(run_id: uuid.UUID, user_id: uuid.UUID, body: CreateRun) -> dict[str, Any]:
    """The stored `request` JSON: a `BacktestRequest` plus the strategy version it came from."""
    request = BacktestRequest(
        run_id=str(run_id),
        user_id=str(user_id),
        spec=body.spec,
        code=body.code,
        walk_forward=body.walk_forward,
        # eligibility always uses the server profile; the request's thresholds are a what-if only
        gate_profile=body.gate_profile,
        gates=body.gates,
    )
    stored = request.model_dump(mode="json")
    stored["strategy_version"] = body.strategy_version
    return stored


def parse_request(stored: dict[str, Any]) -> BacktestRequest:
    """Inverse of `build_request`."""
    fields = {k: v for k, v in stored.items() if k in BacktestRequest.model_fields}
    return BacktestRequest.model_validate(fields)


async def create_run(
    session: AsyncSession,
    redis: Redis,
    settings: Settings,
    user_id: uuid.UUID,
    body: CreateRun,
) -> RunCreated:
    """Insert the queued run, COMMIT, then enqueue.

    Committing before XADD matters: a worker may read the message within microseconds and must
    find the row. If Redis refuses the job, the run is failed at once and the caller gets 503.
    """
    run_id = uuid.uuid4()
    request = build_request(run_id, user_id, body)
    active = await repo.count_active(session, user_id)
    if active >= settings.max_active_runs_per_user:
        await session.rollback()
        raise TooManyRequests(
            f"You have {active} backtests queued or running; the limit is "
            f"{settings.max_active_runs_per_user} at a time. Wait for one to finish, then submit "
            "this one again.",
            slug="too-many-runs",
        )
    try:
        run = await repo.create_run(
            session, run_id=run_id, user_id=user_id, strategy_id=body.strategy_id, request=request
        )
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        text = str(exc.orig)
        if "strategy_id" in text and body.strategy_id is not None:
            raise Unprocessable(
                f"strategy_id {body.strategy_id} does not exist; save the strategy first or omit strategy_id",
                slug="unknown-strategy",
            ) from None
        raise Unprocessable("the user in X-User-Id does not exist", slug="unknown-user") from None
    try:
        await queue.enqueue(redis, str(run.id), str(user_id), maxlen=settings.stream_maxlen)
    except RedisError:
        log.exception("could not enqueue run %s", run.id)
        problem = Unavailable(
            "The job queue is unavailable, so the backtest was not started. Try again in a moment.",
            service="redis",
        ).to_problem(instance=f"/runs/{run.id}")
        await repo.finish_failure(
            session, run.id, problem.model_dump(mode="json", exclude_none=True)
        )
        await session.commit()
        raise Unavailable(
            "The job queue is unavailable, so the backtest was not started. Try again in a moment.",
            service="redis",
        ) from None
    await events.publish(
        redis, run_id=str(run.id), user_id=str(user_id), status="queued", progress=0.0
    )
    log.info("run %s queued", run.id)
    return RunCreated(id=str(run.id))


async def cancel_run(
    session: AsyncSession, redis: Redis, user_id: uuid.UUID, run_id: uuid.UUID
) -> dict[str, Any]:
    """Cancel a queued or running run of the user's: the row says `cancelled` at once, a queued
    job is skipped by the worker that picks it up, a running one is stopped at its next progress
    step (its result, should it finish first, is discarded). Cancelling twice is a no-op."""
    run = await repo.get_run(session, run_id)
    if run is None or run.user_id != user_id:
        raise NotFound(f"There is no backtest run {run_id} for this user.")
    error = (
        problem(
            409,
            "cancelled",
            "Cancelled",
            "You cancelled this backtest before it finished; submit it again to rerun it.",
        )
        .model_copy(update={"instance": f"/runs/{run_id}"})
        .model_dump(mode="json", exclude_none=True)
    )
    changed, status, progress = await repo.cancel_run(session, run_id, error)
    await session.commit()
    session.expunge_all()  # read the run back as stored, not the copy loaded before the update
    if status in ("succeeded", "failed"):
        raise Conflict(
            f"Backtest run {run_id} already {status}; only queued or running runs can be "
            "cancelled (delete it instead to remove it).",
            slug="run-finished",
        )
    if changed:
        try:
            await redis.set(queue.cancel_key(str(run_id)), "1", ex=queue.CANCEL_TTL_S)
        except RedisError:  # the row is already cancelled: the result would be discarded
            log.warning("could not signal the cancel of run %s to its worker", run_id)
        await events.publish(
            redis,
            run_id=str(run_id),
            user_id=str(user_id),
            status="cancelled",
            progress=progress,
            error=error,
        )
        log.info("run %s cancelled", run_id)
    return await get_run(session, user_id, run_id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def get_run(session: AsyncSession, user_id: uuid.UUID, run_id: uuid.UUID) -> dict[str, Any]:
    """A `BacktestRun` as JSON; the stored payload is already in contract shape (validated when
    written), so it is passed through without re-validating a large document on the event loop."""
    run = await repo.get_run(session, run_id)
    if run is None or run.user_id != user_id:
        raise NotFound(f"There is no backtest run {run_id} for this user.")
    body: dict[str, Any] = {
        "id": str(run.id),
        "status": run.status,
        "progress": float(run.progress),
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "strategy_id": str(run.strategy_id) if run.strategy_id else None,
        "error": run.error,
        "result": None,
    }
    if run.status == "succeeded":
        body["result"] = await repo.get_payload(session, run.id)
    return body


def encode_cursor(created_at: datetime, run_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(run_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, rid = json.loads(raw)
        parsed = datetime.fromisoformat(ts)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(rid)
    except (ValueError, TypeError) as exc:
        raise Unprocessable(
            "cursor is not valid; pass back next_cursor from the previous page unchanged",
            slug="validation",
        ) from exc


async def list_runs(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    sort: str | None,
    status: str | None,
    strategy_id: uuid.UUID | None,
) -> RunPage:
    sort = sort or "-created_at"
    if sort not in SORTS:
        raise Unprocessable(
            f"cannot sort runs by '{sort}'; use one of {list(SORTS)}", slug="validation"
        )
    descending = sort.startswith("-")
    after = decode_cursor(cursor) if cursor else None
    stmt = repo.list_query(
        repo.ListFilter(user_id=user_id, status=status, strategy_id=strategy_id),
        descending=descending,
        after=after,
        limit=limit,
    )
    rows = (await session.execute(stmt)).all()
    items: list[RunSummary] = []
    for row in rows[:limit]:
        items.append(
            RunSummary(
                id=str(row.id),
                status=row.status,
                progress=float(row.progress),
                kind="code" if row.is_code else "spec",
                name=row.name,
                symbols=list(row.symbols or []),
                strategy_id=str(row.strategy_id) if row.strategy_id else None,
                strategy_version=row.strategy_version,
                created_at=row.created_at,
                started_at=row.started_at,
                finished_at=row.finished_at,
                attempts=row.attempts,
                run_hash=row.run_hash,
                summary=row.summary if row.status == "succeeded" else None,
                error=row.error,
            )
        )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.created_at, last.id)
    return RunPage(items=items, next_cursor=next_cursor)
