"""One active runner per account: a lease row with a fencing token in PostgreSQL.

`acquire` takes a free or expired lease (the token increases on every takeover); `renew` extends
it only while the token is still ours; `check_lease` runs at the start of every write
transaction of the runner and locks the lease row (FOR SHARE) for that transaction, so a
takeover waits for it and a runner whose lease was taken cannot write another row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.trading_models import RunnerLeaseRow


class LeaseLost(Exception):
    """Another runner holds this account now; stop without writing."""


@dataclass(frozen=True)
class Lease:
    account_id: uuid.UUID
    holder: str
    token: int


async def acquire(
    session: AsyncSession, account_id: uuid.UUID, holder: str, ttl_s: float
) -> Lease | None:
    """The lease, when free, expired or already ours; None while another holder's is live."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=ttl_s)
    base = insert(RunnerLeaseRow).values(
        account_id=account_id, holder=holder, token=1, expires_at=expires, acquired_at=now
    )
    stmt = base.on_conflict_do_update(
        index_elements=["account_id"],
        set_={
            "holder": base.excluded.holder,
            "token": RunnerLeaseRow.token + 1,
            "expires_at": base.excluded.expires_at,
            "acquired_at": base.excluded.acquired_at,
        },
        where=or_(RunnerLeaseRow.expires_at < now, RunnerLeaseRow.holder == holder),
    ).returning(RunnerLeaseRow.token)
    row = await session.execute(stmt)
    got = row.first()
    if got is None:
        return None
    return Lease(account_id, holder, int(got[0]))


async def renew(session: AsyncSession, lease: Lease, ttl_s: float) -> bool:
    now = datetime.now(UTC)
    res = await session.execute(
        update(RunnerLeaseRow)
        .where(*_mine(lease), RunnerLeaseRow.expires_at >= now)
        .values(expires_at=now + timedelta(seconds=ttl_s))
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, lease: Lease) -> None:
    await session.execute(
        update(RunnerLeaseRow)
        .where(*_mine(lease))
        .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    )


def _mine(lease: Lease) -> tuple[ColumnElement[bool], ...]:
    return (
        RunnerLeaseRow.account_id == lease.account_id,
        RunnerLeaseRow.holder == lease.holder,
        RunnerLeaseRow.token == lease.token,
    )


async def check_lease(session: AsyncSession, lease: Lease) -> None:
    """Fencing: raise LeaseLost unless this lease still holds (row locked for the transaction)."""
    row = await session.scalar(
        select(RunnerLeaseRow.token)
        .where(
            RunnerLeaseRow.account_id == lease.account_id,
            RunnerLeaseRow.holder == lease.holder,
            RunnerLeaseRow.token == lease.token,
            RunnerLeaseRow.expires_at >= datetime.now(UTC),
        )
        .with_for_update(read=True)
    )
    if row is None:
        raise LeaseLost(f"runner {lease.holder} lost the lease of account {lease.account_id}")
