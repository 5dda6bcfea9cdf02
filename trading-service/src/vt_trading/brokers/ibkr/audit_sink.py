"""Audit plumbing for the IBKR adapter: ib_async reports events through synchronous callbacks,
so records are queued there and written in order by one task into the hash-chained log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vt_trading import audit
from vt_trading.brokers.ibkr.raw import AuditSink

log = logging.getLogger(__name__)


def pg_audit_sink(sessions: async_sessionmaker[AsyncSession], account_id: uuid.UUID) -> AuditSink:
    """A sink writing each record to the account's audit chain in its own transaction."""

    async def write(kind: str, record: dict[str, Any]) -> None:
        async with sessions() as session, session.begin():
            await audit.append(session, account_id, actor="ibkr", kind=kind, record=record)

    return write


class AuditQueue:
    """FIFO of audit records; `flush()` returns when everything queued so far is written."""

    def __init__(self, sink: AuditSink | None) -> None:
        self._sink = sink
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def put(self, kind: str, record: dict[str, Any]) -> None:
        if self._sink is None:
            return
        self._queue.put_nowait((kind, record))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        assert self._sink is not None
        while True:
            kind, record = await self._queue.get()
            try:
                await self._sink(kind, record)
            except Exception:
                # the broker's own state is unaffected; a lost audit line is logged loudly
                log.exception("IBKR audit record %s could not be written", kind)
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        await self.flush()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
