"""Uploads: validate a user's file, store it for that user only, and serve it back as frames."""

from __future__ import annotations

import base64
import re
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vt_kit.problems import NotFound, Unprocessable
from vt_market_data.core.calendars import NO_MARKET, MarketInfo, market_info
from vt_market_data.core.quality import quality_report
from vt_market_data.core.resample import resample
from vt_market_data.core.timeframes import TF_NS, can_derive, parse_timeframe
from vt_market_data.ohlcv.ranges import parse_range
from vt_market_data.ohlcv.repository import dt_to_ns, ns_to_dt
from vt_market_data.ohlcv.schemas import OhlcvQuery
from vt_market_data.symbols.registry import SymbolInfo, canonical, resolve
from vt_market_data.uploads import repository as repo
from vt_market_data.uploads.parsing import infer_timeframe, parse_ohlcv
from vt_market_data.uploads.schemas import DatasetPage, DatasetSummary

_SYMBOL = re.compile(r"^[A-Za-z0-9_.:/^\-]{1,64}$")


def _market_of(symbol: str) -> tuple[SymbolInfo | None, MarketInfo]:
    try:
        info = resolve(symbol)
    except Exception:
        return None, NO_MARKET
    if info.provider in ("file",):
        return None, NO_MARKET
    return info, market_info(info.market)


def summary(ds: object) -> DatasetSummary:
    return DatasetSummary.model_validate(ds, from_attributes=True)


async def create_upload(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    symbol: str,
    timeframe: str | None,
    filename: str,
    content: bytes,
) -> DatasetSummary:
    sym = canonical(symbol)
    if not _SYMBOL.match(sym) or sym.upper().startswith(("SAMPLE:", "DEMO:", "FILE:")):
        raise Unprocessable(
            f"symbol '{symbol}' cannot name an upload: use 1-64 letters, digits or _ . : / ^ - and "
            "not the reserved prefixes SAMPLE:, DEMO:, FILE:."
        )
    bars = parse_ohlcv(content, filename)
    inferred = infer_timeframe(bars)
    tf = parse_timeframe(timeframe) if timeframe else inferred
    if len(bars) >= 3 and inferred != tf and not (tf in ("1d", "1w") and inferred in ("1d", "1w")):
        raise Unprocessable(
            f"the file's rows are {inferred} apart (typical spacing) but timeframe={tf} was given; "
            f"send timeframe={inferred} or a file with {tf} bars."
        )
    _info, minfo = _market_of(sym)
    report = quality_report(bars, tf, minfo)
    try:
        ds = await repo.replace_dataset(
            session,
            user_id=user_id,
            symbol=sym,
            timeframe=tf,
            filename=filename or "upload",
            bars=bars,
            quality=report.model_dump(mode="json"),
        )
    except IntegrityError as exc:
        raise NotFound(f"user {user_id} does not exist, so nothing can be stored for it.") from exc
    return summary(ds)


async def list_uploads(
    session: AsyncSession, user_id: uuid.UUID, limit: int, cursor: str | None
) -> DatasetPage:
    offset = 0
    if cursor:
        try:
            offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        except Exception as exc:
            raise Unprocessable("cursor is not one this service issued; start without it.") from exc
    rows = await repo.list_datasets(session, user_id, limit=limit, offset=offset)
    more = len(rows) > limit
    nxt = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
    return DatasetPage(items=[summary(r) for r in rows[:limit]], next_cursor=nxt)


async def upload_frame(
    session: AsyncSession, user_id: uuid.UUID, q: OhlcvQuery, tf: str
) -> bytes | None:
    """The user's own data for the symbol (exact timeframe, else the finest it can be built from)."""
    from vt_market_data.ohlcv.service import render

    names = list({q.symbol.strip(), canonical(q.symbol)})
    found = await repo.datasets_for_symbol(session, user_id, names)
    if not found:
        return None
    usable = [d for d in found if can_derive(tf, d.timeframe)]
    if not usable:
        held = ", ".join(sorted({d.timeframe for d in found}))
        raise Unprocessable(
            f"your upload '{q.symbol}' holds {held} bars; {tf} cannot be made from them "
            "(only coarser timeframes can be derived).",
            service="upload",
        )
    ds = min(usable, key=lambda d: (d.timeframe != tf, -TF_NS[d.timeframe]))
    info, minfo = _market_of(ds.symbol)
    full = None
    if ds.first_ts is not None and ds.last_ts is not None:
        full = (dt_to_ns(ds.first_ts), dt_to_ns(ds.last_ts) + TF_NS[ds.timeframe])
    start, end = parse_range(q.start, q.end, tz=minfo.timezone, timeframe=tf, full_span=full)
    bars = await repo.read_bars(session, ds.id, ns_to_dt(start), ns_to_dt(end))
    out = resample(bars, ds.timeframe, tf, minfo)
    label = f"your upload '{ds.filename}' ({ds.rows} {ds.timeframe} rows, uploaded {ds.created_at:%Y-%m-%d %H:%M} UTC); prices as provided"
    return render(
        info=info,
        symbol=ds.symbol,
        provider="upload",
        tf=tf,
        minfo=minfo,
        adjusted=False,
        bars=out,
        issues=[],
        label=label,
    )
