"""OpenBB as an optional provider of headlines and earnings dates.

Install with the `openbb` extra. The import is lazy (it takes 20-70 s and every OpenBB provider
needs the web), done once in a worker thread the first time it is needed; when it fails the reason
is reported and the service carries on without it.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime
from typing import Any

from vt_research.events import Event
from vt_research.sentiment.service import ExtraHeadlineSource
from vt_research.sentiment.sources import Headline

_LOCK = threading.Lock()
_OBB: Any = None


def _load() -> Any:
    global _OBB
    with _LOCK:
        if _OBB is None:
            try:
                from openbb import obb
            except ImportError as exc:
                raise RuntimeError(
                    "openbb is not installed (install vt-research[openbb]) or failed to import"
                ) from exc
            _OBB = obb
        return _OBB


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class OpenBBProvider(ExtraHeadlineSource):
    """Company news (`obb.news.company`) and earnings (`obb.equity.calendar.earnings`)."""

    name = "openbb"

    def __init__(self, news_provider: str | None = None, earnings_provider: str | None = None):
        self.news_provider = news_provider
        self.earnings_provider = earnings_provider

    async def headlines(self, ticker: str, market_wide: bool) -> list[Headline]:
        def run() -> list[Headline]:
            obb = _load()
            kwargs: dict[str, Any] = {"limit": 50}
            if self.news_provider:
                kwargs["provider"] = self.news_provider
            if market_wide:
                result = obb.news.world(**kwargs)
            else:
                result = obb.news.company(symbol=ticker, **kwargs)
            out = []
            for item in getattr(result, "results", None) or []:
                title = str(getattr(item, "title", "") or "").strip()
                when = getattr(item, "date", None)
                if title:
                    out.append(
                        Headline(
                            title=title,
                            source="openbb",
                            published=when if isinstance(when, datetime) else None,
                            link=getattr(item, "url", None),
                            symbol_specific=not market_wide,
                        )
                    )
            return out

        return await asyncio.to_thread(run)

    async def earnings(self, ticker: str, start: date, end: date) -> list[Event]:
        def run() -> list[Event]:
            obb = _load()
            kwargs: dict[str, Any] = {"start_date": start, "end_date": end}
            if self.earnings_provider:
                kwargs["provider"] = self.earnings_provider
            result = obb.equity.calendar.earnings(**kwargs)
            out = []
            for item in getattr(result, "results", None) or []:
                if str(getattr(item, "symbol", "")).upper() != ticker:
                    continue
                day = _as_date(getattr(item, "report_date", None))
                if day is not None:
                    out.append(
                        Event(day=day, kind="EARNINGS", title=f"{ticker} earnings", symbol=ticker)
                    )
            return out

        return await asyncio.to_thread(run)
