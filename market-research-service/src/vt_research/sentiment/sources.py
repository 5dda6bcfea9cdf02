"""Headline sources: RSS/Atom feeds (httpx + feedparser) and GDELT's DOC API when reachable.

Every fetch has a timeout; a failing source is reported by name, never replaced by invented text.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import feedparser
import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Headline:
    title: str
    source: str
    published: datetime | None = None
    link: str | None = None
    symbol_specific: bool = False


@dataclass
class FetchResult:
    headlines: list[Headline] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sources_ok: int = 0


def ticker_of(symbol: str) -> str:
    """SAMPLE:AAPL -> AAPL, BTC/USDT -> BTC, ^VIX -> VIX."""
    base = symbol.split(":")[-1]
    return base.split("/")[0].lstrip("^").upper()


def _parse_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def parse_feed(content: bytes, source: str, symbol_specific: bool = False) -> list[Headline]:
    """RSS 2.0 / Atom bytes -> headlines (entries without a title are skipped)."""
    parsed = feedparser.parse(content)
    if parsed.get("bozo") and not parsed.get("entries"):
        raise ValueError(f"not a readable RSS/Atom feed ({parsed.get('bozo_exception')!s:.120})")
    out = []
    for entry in parsed.get("entries", []):
        title = re.sub(r"\s+", " ", str(entry.get("title", ""))).strip()
        if not title:
            continue
        out.append(
            Headline(
                title=title,
                source=source,
                published=_parse_time(entry),
                link=entry.get("link"),
                symbol_specific=symbol_specific,
            )
        )
    return out


def _parse_gdelt_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


class NewsSources:
    """Fetches headlines from the configured feeds (and GDELT), with a short cache per URL."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        feeds: list[str],
        *,
        gdelt_url: str | None = None,
        cache_seconds: float = 300.0,
    ) -> None:
        self.client = client
        self.feeds = feeds
        self.gdelt_url = gdelt_url
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, list[Headline]]] = {}

    @property
    def configured(self) -> bool:
        return bool(self.feeds) or self.gdelt_url is not None

    async def _get(self, url: str) -> bytes:
        response = await self.client.get(url, follow_redirects=True)
        response.raise_for_status()
        return response.content

    async def _cached(self, url: str, fetch: Any) -> list[Headline]:
        hit = self._cache.get(url)
        if hit is not None and time.monotonic() - hit[0] < self.cache_seconds:
            return hit[1]
        items: list[Headline] = await fetch()
        self._cache[url] = (time.monotonic(), items)
        return items

    async def _feed(self, template: str, symbol: str | None) -> list[Headline]:
        specific = "{symbol}" in template
        if specific and symbol is None:
            return []
        url = template.replace("{symbol}", quote(ticker_of(symbol or ""))) if specific else template

        async def fetch() -> list[Headline]:
            return parse_feed(await self._get(url), url, symbol_specific=specific)

        return await self._cached(url, fetch)

    async def _gdelt(self, query: str) -> list[Headline]:
        assert self.gdelt_url is not None
        url = (
            f"{self.gdelt_url}?query={quote(query)}%20sourcelang:english"
            "&mode=ArtList&format=json&maxrecords=50&timespan=3d&sort=DateDesc"
        )

        async def fetch() -> list[Headline]:
            data = httpx.Response(200, content=await self._get(url)).json()
            return [
                Headline(
                    title=str(a.get("title", "")).strip(),
                    source="gdelt",
                    published=_parse_gdelt_time(a.get("seendate")),
                    link=a.get("url"),
                    symbol_specific=True,
                )
                for a in data.get("articles", [])
                if str(a.get("title", "")).strip()
            ]

        return await self._cached(url, fetch)

    async def fetch(self, symbol: str | None, gdelt_query: str | None = None) -> FetchResult:
        """All headlines from every source for `symbol` (None = market-wide feeds only)."""
        feeds = [f for f in self.feeds if symbol is not None or "{symbol}" not in f]
        jobs: list[tuple[str, Any]] = [(f, self._feed(f, symbol)) for f in feeds]
        if self.gdelt_url is not None and gdelt_query:
            jobs.append(("gdelt", self._gdelt(gdelt_query)))
        result = FetchResult()
        outcomes = await asyncio.gather(*(j for _, j in jobs), return_exceptions=True)
        for (name, _), outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                reason = (
                    f"HTTP {outcome.response.status_code}"
                    if isinstance(outcome, httpx.HTTPStatusError)
                    else f"{type(outcome).__name__}: {outcome!s:.120}"
                )
                result.errors.append(f"{name}: {reason}")
                log.warning("news source %s failed: %s", name, reason)
            else:
                result.sources_ok += 1
                result.headlines.extend(outcome)
        return result


def mentions(headline: Headline, symbol: str, aliases: list[str]) -> bool:
    """True when the headline is about `symbol`: from a per-symbol feed, or it names the ticker
    (case-sensitive, whole word) or one of its aliases (case-insensitive, whole word)."""
    if headline.symbol_specific:
        return True
    ticker = ticker_of(symbol)
    if len(ticker) >= 2 and re.search(rf"(?<![A-Za-z0-9$]){re.escape(ticker)}\b", headline.title):
        return True
    if re.search(rf"\${re.escape(ticker)}\b", headline.title):
        return True
    return any(
        re.search(rf"\b{re.escape(alias)}\b", headline.title, flags=re.IGNORECASE)
        for alias in aliases
    )
