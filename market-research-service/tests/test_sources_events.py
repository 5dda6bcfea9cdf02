"""RSS source against a local stub server, headline matching, and the event calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from vt_research.events import CalendarError, EventCalendar, load_calendar
from vt_research.sentiment.lexicon import FinVaderModel
from vt_research.sentiment.service import SentimentService
from vt_research.sentiment.sources import Headline, NewsSources, mentions, ticker_of
from vt_research.settings import DEFAULT_CALENDAR

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


async def test_rss_feed_over_http(stub: Any) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        sources = NewsSources(
            client, [f"{stub.url}/rss/market_news.xml", f"{stub.url}/rss/broken.xml"]
        )
        result = await sources.fetch("SAMPLE:AAPL")
    assert result.sources_ok == 1
    assert result.errors == [f"{stub.url}/rss/broken.xml: HTTP 500"]
    titles = [h.title for h in result.headlines]
    assert len(titles) == 6  # the item without a title is skipped
    assert titles[0] == "Apple shares jump after quarterly profit beats analyst estimates"
    assert result.headlines[0].published == datetime(2026, 11, 20, 20, 30, tzinfo=UTC)


async def test_feed_cache_avoids_refetching(stub: Any, stub_state: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        sources = NewsSources(client, [f"{stub.url}/rss/market_news.xml"], cache_seconds=60)
        await sources.fetch(None)
        await sources.fetch(None)
    assert stub_state["rss_calls"] == ["market_news.xml"]


async def test_per_symbol_feed_template(stub: Any, stub_state: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        sources = NewsSources(client, [f"{stub.url}/rss/{{symbol}}.xml"])
        result = await sources.fetch("SAMPLE:AAPL")
        market = await sources.fetch(None)
    assert stub_state["rss_calls"] == ["AAPL.xml"]  # market-wide skips per-symbol feeds
    assert result.sources_ok == 0
    assert "HTTP 404" in result.errors[0]
    assert market.sources_ok == 0
    assert not market.errors


def test_ticker_and_mentions() -> None:
    assert ticker_of("SAMPLE:AAPL") == "AAPL"
    assert ticker_of("BTC/USDT") == "BTC"
    assert ticker_of("^VIX") == "VIX"
    h = Headline(title="AAPL rallies as demand lifts outlook", source="x")
    assert mentions(h, "SAMPLE:AAPL", [])
    assert not mentions(Headline(title="Pineapple prices rise", source="x"), "AAPL", ["Apple"])
    assert mentions(Headline(title="apple shares jump", source="x"), "AAPL", ["Apple"])
    assert mentions(Headline(title="Buying $MSFT today", source="x"), "MSFT", [])
    assert mentions(Headline(title="anything", source="x", symbol_specific=True), "AAPL", [])


async def test_sentiment_from_rss_is_scored_and_explained(stub: Any, nltk_dir: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        service = SentimentService(
            NewsSources(client, [f"{stub.url}/rss/market_news.xml"]),
            FinVaderModel(nltk_dir),
            aliases={"AAPL": ["Apple"]},
            max_age_hours=24 * 365 * 20,
        )
        aapl = await service.assess("SAMPLE:AAPL", NOW, NOW)
        market = await service.assess("market:us", NOW, NOW, market_wide=True)
        ibm = await service.assess("SAMPLE:IBM", NOW, NOW)
    assert aapl.score is not None
    assert aapl.score > 0.3
    assert aapl.derivation.inputs["headlines_scored"] == 2.0  # duplicate title counted once
    assert market.derivation.inputs["headlines_scored"] == 5.0
    assert ibm.score is None
    assert "no recent headlines mention IBM" in ibm.reason


async def test_sentiment_is_null_with_a_reason_when_nothing_is_reachable(nltk_dir: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        none_configured = SentimentService(
            NewsSources(client, []), FinVaderModel(nltk_dir), aliases={}, max_age_hours=72
        )
        down = SentimentService(
            NewsSources(client, ["http://127.0.0.1:9/feed.xml"]),
            FinVaderModel(nltk_dir),
            aliases={},
            max_age_hours=72,
        )
        r1 = await none_configured.assess("SAMPLE:AAPL", NOW, NOW)
        r2 = await down.assess("SAMPLE:AAPL", NOW, NOW)
        r3 = await down.assess("SAMPLE:AAPL", datetime(2013, 6, 28, tzinfo=UTC), NOW)
    assert r1.score is None
    assert "no news source is configured" in r1.reason
    assert r2.score is None
    assert r2.reason.startswith("no news source was reachable")
    assert "ConnectError" in r2.reason
    assert r3.score is None
    assert "older than the 72 h news window" in r3.reason


def test_default_calendar_loads_and_is_labelled_unverified() -> None:
    events = load_calendar(DEFAULT_CALENDAR)
    kinds = {e.kind for e in events}
    assert {"FOMC", "CPI", "NFP"} <= kinds
    assert all(2026 <= e.day.year <= 2027 for e in events)
    assert "TO BE VERIFIED BY THE OPERATOR" in DEFAULT_CALENDAR.read_text()
    fomc = sorted(e.day for e in events if e.kind == "FOMC")
    assert fomc[-1] == date(2026, 12, 9)


async def test_events_within_window_of_as_of(tmp_path: Path) -> None:
    path = tmp_path / "cal.csv"
    path.write_text(
        "date,kind,title,symbol\n"
        "2026-12-09,FOMC,Fed decision,\n"
        "2026-12-20,CPI,CPI,\n"
        "2026-12-08,EARNINGS,Apple earnings,AAPL\n"
    )
    cal = EventCalendar(path, window_days=2)
    check = await cal.check(datetime(2026, 12, 7, 15, tzinfo=UTC), "AAPL")
    assert [e.kind for e in check.events] == ["EARNINGS", "FOMC"]
    assert check.reasons[1].startswith("FOMC 2026-12-09 (in 2 day(s))")
    other = await cal.check(datetime(2026, 12, 7, tzinfo=UTC), "MSFT")
    assert [e.kind for e in other.events] == ["FOMC"]
    after = await cal.check(datetime(2026, 12, 11, tzinfo=UTC), None)
    assert "2 day(s) ago" in after.reasons[0]


async def test_bad_calendar_is_a_note_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text("events:\n  - {date: not-a-date, kind: CPI}\n")
    with pytest.raises(CalendarError, match="bad entry"):
        load_calendar(path)
    check = await EventCalendar(path, 2).check(NOW, None)
    assert check.events == []
    assert "bad entry" in check.notes[0]
    missing = await EventCalendar(tmp_path / "nope.yaml", 2).check(NOW, None)
    assert "does not exist" in missing.notes[0]
