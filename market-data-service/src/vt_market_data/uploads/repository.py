"""Queries on user_datasets and user_dataset_bars."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_db.models import UserDataset, UserDatasetBar
from vt_market_data.core.bars import Bars
from vt_market_data.ohlcv.repository import dt_to_ns, ns_to_dt

BATCH = 3000  # 10 columns x 3000 rows stays under PostgreSQL's 32767 bind parameters


async def replace_dataset(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    symbol: str,
    timeframe: str,
    filename: str,
    bars: Bars,
    quality: dict[str, Any],
) -> UserDataset:
    await session.execute(
        delete(UserDataset).where(
            UserDataset.user_id == user_id,
            UserDataset.symbol == symbol,
            UserDataset.timeframe == timeframe,
        )
    )
    ds = UserDataset(
        user_id=user_id,
        symbol=symbol,
        timeframe=timeframe,
        filename=filename[:255],
        rows=len(bars),
        first_ts=ns_to_dt(int(bars.ts[0])) if len(bars) else None,
        last_ts=ns_to_dt(int(bars.ts[-1])) if len(bars) else None,
        quality=quality,
    )
    session.add(ds)
    await session.flush()
    rows = [
        {
            "dataset_id": ds.id,
            "ts": ns_to_dt(int(bars.ts[i])),
            "open": float(bars.open[i]),
            "high": float(bars.high[i]),
            "low": float(bars.low[i]),
            "close": float(bars.close[i]),
            "volume": float(bars.volume[i]),
        }
        for i in range(len(bars))
    ]
    for i in range(0, len(rows), BATCH):
        await session.execute(insert(UserDatasetBar), rows[i : i + BATCH])
    await session.flush()
    await session.refresh(ds)
    return ds


async def datasets_for_symbol(
    session: AsyncSession, user_id: uuid.UUID, symbols: list[str]
) -> list[UserDataset]:
    rows = await session.execute(
        select(UserDataset).where(UserDataset.user_id == user_id, UserDataset.symbol.in_(symbols))
    )
    return list(rows.scalars().all())


async def list_datasets(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, offset: int
) -> list[UserDataset]:
    rows = await session.execute(
        select(UserDataset)
        .where(UserDataset.user_id == user_id)
        .order_by(UserDataset.created_at.desc(), UserDataset.id)
        .limit(limit + 1)
        .offset(offset)
    )
    return list(rows.scalars().all())


async def read_bars(
    session: AsyncSession, dataset_id: uuid.UUID, start: datetime, end: datetime
) -> Bars:
    result = await session.execute(
        select(
            UserDatasetBar.ts,
            UserDatasetBar.open,
            UserDatasetBar.high,
            UserDatasetBar.low,
            UserDatasetBar.close,
            UserDatasetBar.volume,
        )
        .where(
            UserDatasetBar.dataset_id == dataset_id,
            UserDatasetBar.ts >= start,
            UserDatasetBar.ts < end,
        )
        .order_by(UserDatasetBar.ts)
    )
    rows = result.all()
    if not rows:
        return Bars.empty()
    cols = list(zip(*rows, strict=True))
    ts = np.fromiter((dt_to_ns(t) for t in cols[0]), dtype=np.int64, count=len(rows))
    return Bars.from_arrays(ts, cols[1], cols[2], cols[3], cols[4], cols[5])
