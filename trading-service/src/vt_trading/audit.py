"""Appending to the hash-chained audit log (RISK's `chain_hash` / `redact`; CORE's storage)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import AuditRow
from vt_trading.ledger.audit import GENESIS, ChainedRecord, chain_hash, redact


async def append(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    actor: str,
    kind: str,
    record: dict[str, Any],
) -> AuditRow:
    """Append one record to the account's chain (secrets redacted) in the caller's transaction.

    An advisory lock per account serialises writers so two transactions never chain onto the
    same predecessor."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"audit:{account_id}"},
    )
    prev = await session.scalar(
        select(AuditRow.hash)
        .where(AuditRow.account_id == account_id)
        .order_by(AuditRow.seq.desc())
        .limit(1)
    )
    clean = redact(record)
    body = {"account_id": str(account_id), "actor": actor, "kind": kind, "record": clean}
    row = AuditRow(
        account_id=account_id,
        actor=actor,
        kind=kind,
        record=clean,
        prev_hash=prev or GENESIS,
        hash=chain_hash(prev or GENESIS, body),
    )
    session.add(row)
    await session.flush()
    return row


def chain_records(rows: list[AuditRow]) -> list[ChainedRecord]:
    """The rows as `verify` expects them: the hashed body with its links."""
    return [
        ChainedRecord(
            record={
                "account_id": str(r.account_id),
                "actor": r.actor,
                "kind": r.kind,
                "record": r.record,
            },
            prev_hash=r.prev_hash,
            hash=r.hash,
        )
        for r in rows
    ]


async def count(session: AsyncSession, account_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.count()).where(AuditRow.account_id == account_id)) or 0
    )
