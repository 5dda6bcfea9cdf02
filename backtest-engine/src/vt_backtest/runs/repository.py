"""Queries on `backtest_runs` / `backtest_results` (the only tables this service writes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import BacktestResultRow, BacktestRun

ACTIVE = ("queued", "running")


async def count_active(session: AsyncSession, user_id: uuid.UUID) -> int:
    """The user's queued and running runs, counted under a per-user transaction lock so that
    concurrent submissions of one user are admitted one at a time (the cap cannot be raced)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"runs:{user_id}"}
    )
    count = await session.scalar(
        select(func.count())
        .select_from(BacktestRun)
        .where(BacktestRun.user_id == user_id, BacktestRun.status.in_(("queued", "running")))
    )
    return int(count or 0)


async def create_run(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    user_id: uuid.UUID,
    strategy_id: uuid.UUID | None,
    request: dict[str, Any],
) -> BacktestRun:
    run = BacktestRun(
        id=run_id,
        user_id=user_id,
        strategy_id=strategy_id,
        status="queued",
        progress=0.0,
        request=request,
    )
    session.add(run)
    await session.flush()
    await session.refresh(run, ["created_at"])
    return run


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> BacktestRun | None:
    return await session.get(BacktestRun, run_id)


async def get_payload(session: AsyncSession, run_id: uuid.UUID) -> dict[str, Any] | None:
    row = await session.execute(
        select(BacktestResultRow.payload).where(BacktestResultRow.run_id == run_id)
    )
    payload: dict[str, Any] | None = row.scalar_one_or_none()
    return payload


@dataclass(frozen=True)
class ListFilter:
    user_id: uuid.UUID
    status: str | None = None
    strategy_id: uuid.UUID | None = None


def list_query(
    flt: ListFilter,
    *,
    descending: bool,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Select[Any]:
    """Keyset page over (created_at, id); heavy columns (payload, code) are never selected."""
    req = BacktestRun.request
    stmt = (
        select(
            BacktestRun.id,
            BacktestRun.status,
            BacktestRun.progress,
            BacktestRun.strategy_id,
            BacktestRun.created_at,
            BacktestRun.started_at,
            BacktestRun.finished_at,
            BacktestRun.attempts,
            BacktestRun.run_hash,
            BacktestRun.error,
            req["spec"]["name"].astext.label("name"),
            func.coalesce(req["spec"]["universe"]["symbols"], req["code"]["symbols"]).label(
                "symbols"
            ),
            req["strategy_version"].label("strategy_version"),
            req["code"]["symbols"].isnot(None).label("is_code"),
            BacktestResultRow.summary,
        )
        .outerjoin(BacktestResultRow, BacktestResultRow.run_id == BacktestRun.id)
        .where(BacktestRun.user_id == flt.user_id)
    )
    if flt.status is not None:
        stmt = stmt.where(BacktestRun.status == flt.status)
    if flt.strategy_id is not None:
        stmt = stmt.where(BacktestRun.strategy_id == flt.strategy_id)
    if after is not None:
        ts, rid = after
        if descending:
            stmt = stmt.where(
                or_(
                    BacktestRun.created_at < ts,
                    and_(BacktestRun.created_at == ts, BacktestRun.id < rid),
                )
            )
        else:
            stmt = stmt.where(
                or_(
                    BacktestRun.created_at > ts,
                    and_(BacktestRun.created_at == ts, BacktestRun.id > rid),
                )
            )
    if descending:
        stmt = stmt.order_by(BacktestRun.created_at.desc(), BacktestRun.id.desc())
    else:
        stmt = stmt.order_by(BacktestRun.created_at.asc(), BacktestRun.id.asc())
    return stmt.limit(limit + 1)


# ------------------------------------------------------------------------------------------
# Worker side
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """What a worker learns when it picks a job up."""

    outcome: str  # "run" | "missing" | "terminal" | "exhausted"
    attempts: int = 0
    user_id: str | None = None
    request: dict[str, Any] | None = None
    status: str | None = None


async def claim_run(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, max_attempts: int
) -> Claim:
    """Count one more attempt and mark the run running, unless it is finished or exhausted."""
    row = (
        await session.execute(
            update(BacktestRun)
            .where(
                BacktestRun.id == run_id,
                BacktestRun.status.in_(ACTIVE),
                BacktestRun.attempts < max_attempts,
            )
            .values(
                attempts=BacktestRun.attempts + 1,
                status="running",
                worker_id=worker_id,
                started_at=func.coalesce(BacktestRun.started_at, func.now()),
            )
            .returning(BacktestRun.attempts, BacktestRun.user_id, BacktestRun.request)
        )
    ).one_or_none()
    if row is not None:
        return Claim("run", attempts=row[0], user_id=str(row[1]), request=row[2])
    current = (
        await session.execute(
            select(BacktestRun.status, BacktestRun.attempts, BacktestRun.user_id).where(
                BacktestRun.id == run_id
            )
        )
    ).one_or_none()
    if current is None:
        return Claim("missing")
    status, attempts, user_id = current
    if status not in ACTIVE:
        return Claim("terminal", attempts=attempts, user_id=str(user_id), status=status)
    return Claim("exhausted", attempts=attempts, user_id=str(user_id), status=status)


async def set_progress(session: AsyncSession, run_id: uuid.UUID, progress: float) -> bool:
    res = await session.execute(
        update(BacktestRun)
        .where(BacktestRun.id == run_id, BacktestRun.status == "running")
        .values(progress=func.greatest(BacktestRun.progress, progress))
        .returning(BacktestRun.id)
    )
    return res.one_or_none() is not None


async def finish_success(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    payload: dict[str, Any],
    summary: dict[str, Any],
    spec_hash: str,
    data_hash: str,
    engine_version: str,
    run_hash: str,
) -> bool:
    """Mark succeeded and store the result, once: a finished run is never overwritten."""
    done = (
        await session.execute(
            update(BacktestRun)
            .where(BacktestRun.id == run_id, BacktestRun.status.in_(ACTIVE))
            .values(
                status="succeeded",
                progress=1.0,
                error=None,
                finished_at=func.now(),
                spec_hash=spec_hash,
                data_hash=data_hash,
                engine_version=engine_version,
                run_hash=run_hash,
            )
            .returning(BacktestRun.id)
        )
    ).one_or_none()
    if done is None:
        return False
    await session.execute(
        pg_insert(BacktestResultRow)
        .values(
            id=uuid.uuid4(),
            run_id=run_id,
            summary=summary,
            payload=payload,
            run_hash=run_hash,
        )
        .on_conflict_do_nothing(index_elements=[BacktestResultRow.run_id])
    )
    return True


async def finish_failure(session: AsyncSession, run_id: uuid.UUID, error: dict[str, Any]) -> bool:
    """Mark failed with a problem, unless the run already finished."""
    res = await session.execute(
        update(BacktestRun)
        .where(BacktestRun.id == run_id, BacktestRun.status.in_(ACTIVE))
        .values(status="failed", error=error, finished_at=func.now())
        .returning(BacktestRun.id)
    )
    return res.one_or_none() is not None


async def cancel_run(
    session: AsyncSession, run_id: uuid.UUID, error: dict[str, Any]
) -> tuple[bool, str | None, float]:
    """Mark a queued or running run cancelled. Returns (changed, status now, progress); status
    is None when there is no such run."""
    row = (
        await session.execute(
            update(BacktestRun)
            .where(BacktestRun.id == run_id, BacktestRun.status.in_(ACTIVE))
            .values(status="cancelled", error=error, finished_at=func.now())
            .returning(BacktestRun.progress)
        )
    ).one_or_none()
    if row is not None:
        return True, "cancelled", float(row[0])
    current = (
        await session.execute(
            select(BacktestRun.status, BacktestRun.progress).where(BacktestRun.id == run_id)
        )
    ).one_or_none()
    return (False, None, 0.0) if current is None else (False, current[0], float(current[1]))


async def unfinished_runs(session: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = await session.execute(
        select(BacktestRun.id, BacktestRun.user_id)
        .where(BacktestRun.status.in_(ACTIVE))
        .order_by(BacktestRun.created_at)
    )
    return [(r[0], r[1]) for r in rows.all()]
