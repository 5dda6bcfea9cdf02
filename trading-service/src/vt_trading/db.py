"""The trading process's database engine: its environment's schema and role, nothing else."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from vt_db.session import make_engine
from vt_db.trading_models import PLACEHOLDER_SCHEMA, role_for, schema_for

log = logging.getLogger(__name__)


async def make_trading_engine(url: str, environment: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine whose ORM statements address `trading_<environment>` and whose connections run
    as role `vt_trading_<environment>` when that role exists and the login user may assume it
    (then a paper process cannot read a live row even by a hand-written query)."""
    base = make_engine(url, pool_size=pool_size)
    role = role_for(environment)
    async with base.connect() as conn:
        can_assume = bool(
            await conn.scalar(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r) "
                    "AND pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = :r), 'MEMBER')"
                ),
                {"r": role},
            )
        )
    if can_assume:

        @event.listens_for(base.sync_engine, "connect")
        def _set_role(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f'SET ROLE "{role}"')
            cursor.close()

        # connections opened by the probe above predate the hook
        await base.dispose()
    else:
        log.warning(
            "database role %s is not available: running as the login user (schema separation only)",
            role,
        )
    engine = base.execution_options(
        schema_translate_map={PLACEHOLDER_SCHEMA: schema_for(environment)}
    )
    return engine
