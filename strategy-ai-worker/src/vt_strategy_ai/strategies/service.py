"""Strategy logic: versions, reads, edits, soft delete (no SQL here)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts import FieldError, StrategySpec
from vt_db.models import Strategy, StrategyVersion
from vt_kit import BadRequest, NotFound, Unprocessable
from vt_strategy_ai.clients import UpstreamClients, symbols_of, unknown_symbols_text
from vt_strategy_ai.schemas import (
    DiffEntry,
    Page,
    StrategyRead,
    StrategySaved,
    StrategySummary,
    VersionRead,
)
from vt_strategy_ai.spec.analysis import Analysis, analyse
from vt_strategy_ai.spec.artifacts import diff_specs
from vt_strategy_ai.spec.checks import check_spec
from vt_strategy_ai.strategies import repository as repo


def _spec_json(spec: StrategySpec) -> dict[str, Any]:
    data: dict[str, Any] = spec.model_dump(mode="json")
    return data


async def create_strategy(
    session: AsyncSession,
    user_id: uuid.UUID,
    spec: StrategySpec,
    analysis: Analysis,
    *,
    source: str,
) -> tuple[Strategy, StrategyVersion]:
    strategy = await repo.add_strategy(
        session,
        Strategy(
            user_id=user_id,
            name=spec.name,
            description=spec.description,
            current_version=1,
            spec=_spec_json(spec),
        ),
    )
    version = await repo.add_version(
        session, _version_row(strategy.id, 1, spec, analysis, [], source)
    )
    return strategy, version


async def add_version(
    session: AsyncSession,
    strategy: Strategy,
    spec: StrategySpec,
    analysis: Analysis,
    diff: list[DiffEntry],
    *,
    source: str,
) -> StrategyVersion:
    number = strategy.current_version + 1
    version = await repo.add_version(
        session, _version_row(strategy.id, number, spec, analysis, diff, source)
    )
    strategy.current_version = number
    strategy.spec = _spec_json(spec)
    strategy.name = spec.name
    strategy.description = spec.description
    await repo.touch(session, strategy)
    return version


def _version_row(
    strategy_id: uuid.UUID,
    number: int,
    spec: StrategySpec,
    analysis: Analysis,
    diff: list[DiffEntry],
    source: str,
) -> StrategyVersion:
    return StrategyVersion(
        strategy_id=strategy_id,
        version=number,
        spec=_spec_json(spec),
        spec_hash=spec.spec_hash(),
        code=analysis.code,
        explanation=analysis.explanation.model_dump(mode="json"),
        safety_report=analysis.safety.model_dump(mode="json"),
        change_summary={"diff": [d.model_dump(mode="json") for d in diff]},
        source=source,
    )


async def require_strategy(
    session: AsyncSession, user_id: uuid.UUID, strategy_id: uuid.UUID, *, lock: bool = False
) -> Strategy:
    strategy = await repo.get_strategy(session, user_id, strategy_id, lock=lock)
    if strategy is None:
        raise NotFound(f"There is no strategy {strategy_id} for this user.")
    return strategy


async def read_strategy(
    session: AsyncSession, user_id: uuid.UUID, strategy_id: uuid.UUID
) -> StrategyRead:
    strategy = await require_strategy(session, user_id, strategy_id)
    version = await repo.get_version(session, strategy.id, strategy.current_version)
    return to_read(strategy, version)


def to_read(strategy: Strategy, version: StrategyVersion | None) -> StrategyRead:
    return StrategyRead(
        id=strategy.id,
        name=strategy.name,
        description=strategy.description,
        current_version=strategy.current_version,
        spec=strategy.spec,
        spec_hash=version.spec_hash if version else None,
        code=version.code if version else None,
        explanation=version.explanation if version else None,
        safety_report=version.safety_report if version else None,
        created_at=strategy.created_at,
        updated_at=strategy.updated_at,
    )


def to_version(row: StrategyVersion) -> VersionRead:
    diff = [DiffEntry.model_validate(d) for d in (row.change_summary or {}).get("diff", [])]
    return VersionRead(
        version=row.version,
        spec=row.spec,
        spec_hash=row.spec_hash,
        code=row.code,
        explanation=row.explanation,
        safety_report=row.safety_report,
        diff=diff,
        source=row.source,
        created_at=row.created_at,
    )


async def update_strategy(
    session: AsyncSession,
    user_id: uuid.UUID,
    strategy_id: uuid.UUID,
    spec_in: dict[str, Any],
    name: str | None,
    *,
    clients: UpstreamClients | None,
    frequency: bool,
    check_symbols: bool = True,
) -> StrategySaved:
    strategy = await require_strategy(session, user_id, strategy_id, lock=True)
    candidate = dict(spec_in)
    if name is not None:
        candidate["name"] = name
    checked = check_spec(candidate, add_default_stop=False)
    if checked.spec is None:
        raise Unprocessable(
            "The spec is not valid: " + "; ".join(checked.errors[:5]),
            errors=[
                FieldError(loc=["body", "spec", *e.split(":", 1)[0].split(".")], msg=e)
                for e in checked.errors
            ],
        )
    spec = checked.spec
    prefetched = None
    if clients is not None and check_symbols:
        before = symbols_of(strategy.spec)
        fresh = [s for s in sorted(symbols_of(_spec_json(spec))) if s not in before]
        check = await clients.check_symbols(spec, fresh, str(user_id))
        if check.unknown:
            raise Unprocessable(
                unknown_symbols_text(check.unknown, check.matches).replace(
                    "I did not save a strategy", "nothing was saved"
                ),
                errors=[
                    FieldError(
                        loc=["body", "spec", "universe", "symbols"],
                        msg=f"unknown symbol {sym}",
                    )
                    for sym in check.unknown
                ],
            )
        prefetched = check.frames
    diff = diff_specs(strategy.spec, _spec_json(spec))
    analysis = await analyse(
        spec, clients=clients, user_id=str(user_id), frequency=frequency, prefetched=prefetched
    )
    version = await add_version(session, strategy, spec, analysis, diff, source="edit")
    read = to_read(strategy, version)
    return StrategySaved(**read.model_dump(), warnings=checked.warnings, diff=diff)


def encode_cursor(value: Any, ident: uuid.UUID) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, str(ident)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, ident = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        parsed: Any = datetime.fromisoformat(value) if field != "name" else str(value)
        return parsed, uuid.UUID(ident)
    except (ValueError, TypeError) as exc:
        raise BadRequest(
            "The cursor is not valid; pass the next_cursor of the previous page unchanged."
        ) from exc


async def list_strategies(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    sort: str,
    name: str | None,
) -> Page[StrategySummary]:
    field = sort.lstrip("-")
    if field not in repo.SORTS:
        raise BadRequest(f"sort must be one of {sorted(repo.SORTS)} (prefix '-' for descending).")
    after = decode_cursor(cursor, field) if cursor else None
    rows = await repo.list_strategies(
        session, user_id, limit=limit + 1, sort=sort, after=after, name=name
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        StrategySummary(
            id=r.id,
            name=r.name,
            description=r.description,
            current_version=r.current_version,
            symbols=list(r.spec.get("universe", {}).get("symbols", [])),
            timeframe=r.spec.get("universe", {}).get("timeframe"),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]
    next_cursor = encode_cursor(getattr(rows[-1], field), rows[-1].id) if more and rows else None
    return Page[StrategySummary](items=items, next_cursor=next_cursor)


async def list_versions(
    session: AsyncSession,
    user_id: uuid.UUID,
    strategy_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
) -> Page[VersionRead]:
    strategy = await require_strategy(session, user_id, strategy_id)
    before: int | None = None
    if cursor:
        try:
            before = int(cursor)
        except ValueError:
            raise BadRequest(
                "The cursor is not valid; pass the next_cursor of the previous page unchanged."
            ) from None
    rows = await repo.list_versions(session, strategy.id, limit=limit + 1, before=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[VersionRead](
        items=[to_version(r) for r in rows],
        next_cursor=str(rows[-1].version) if more and rows else None,
    )


async def read_version(
    session: AsyncSession, user_id: uuid.UUID, strategy_id: uuid.UUID, number: int
) -> VersionRead:
    strategy = await require_strategy(session, user_id, strategy_id)
    row = await repo.get_version(session, strategy.id, number)
    if row is None:
        raise NotFound(
            f"Strategy {strategy_id} has no version {number} (current: {strategy.current_version})."
        )
    return to_version(row)


async def delete_strategy(
    session: AsyncSession, user_id: uuid.UUID, strategy_id: uuid.UUID
) -> None:
    strategy = await require_strategy(session, user_id, strategy_id)
    await repo.soft_delete(session, strategy)
