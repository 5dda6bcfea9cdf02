"""Event awareness: economic calendar (YAML or CSV file) and earnings dates near `as_of`."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    day: date
    kind: str
    title: str
    symbol: str | None = None
    status: str = "scheduled"


class CalendarError(ValueError):
    """The calendar file cannot be read; the message names the file and the problem."""


def _event(raw: dict[str, Any], where: str) -> Event:
    try:
        value = raw["date"]
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
        kind = str(raw.get("kind") or ("EARNINGS" if raw.get("symbol") else "")).strip().upper()
        if not kind:
            raise KeyError("kind")
        symbol = raw.get("symbol")
        return Event(
            day=day,
            kind=kind,
            title=str(raw.get("title") or kind),
            symbol=str(symbol).upper() if symbol else None,
            status=str(raw.get("status") or "scheduled"),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CalendarError(f"{where}: bad entry {raw!r} ({exc})") from exc


def load_calendar(path: Path) -> list[Event]:
    """Read a YAML (`events:` and `earnings:` lists) or CSV (date,kind,title[,symbol]) file."""
    if not path.is_file():
        raise CalendarError(f"economic calendar {path} does not exist (VT_ECON_CALENDAR)")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return [
            _event(dict(row), f"{path}:{i + 2}")
            for i, row in enumerate(csv.DictReader(text.splitlines()))
        ]
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CalendarError(f"{path} must be a mapping with 'events' and optional 'earnings'")
    out = [_event(e, str(path)) for e in data.get("events") or []]
    for e in data.get("earnings") or []:
        out.append(_event({"kind": "EARNINGS", **e}, str(path)))
    return out


class EarningsProvider(Protocol):
    name: str

    async def earnings(self, ticker: str, start: date, end: date) -> list[Event]: ...


@dataclass
class EventCheck:
    events: list[Event]
    reasons: list[str]
    notes: list[str]


class EventCalendar:
    """Finds events within `window_days` (either side) of `as_of`."""

    def __init__(
        self,
        path: Path,
        window_days: int,
        earnings_providers: list[EarningsProvider] | None = None,
    ) -> None:
        self.path = path
        self.window_days = window_days
        self.providers = earnings_providers or []
        self._events: list[Event] | None = None
        self._error: str | None = None
        self._mtime: float | None = None

    def _load(self) -> list[Event]:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            mtime = None
        if self._events is None or mtime != self._mtime:
            try:
                self._events = load_calendar(self.path)
                self._error = None
            except CalendarError as exc:
                self._events = []
                log.warning("economic calendar unusable: %s", exc)
                # shown to users in the insight's derivations: the file's name, not its path
                self._error = (
                    str(exc)
                    .replace(str(self.path), self.path.name)
                    .replace(" (VT_ECON_CALENDAR)", "")
                )
            self._mtime = mtime
        return self._events

    async def check(self, as_of: datetime, ticker: str | None) -> EventCheck:
        events = self._load()
        notes = [self._error] if self._error else []
        day = as_of.date()
        near = [
            e
            for e in events
            if abs((e.day - day).days) <= self.window_days
            and (e.symbol is None or (ticker is not None and e.symbol == ticker))
        ]
        if ticker is not None:
            for provider in self.providers:
                try:
                    from datetime import timedelta

                    span = timedelta(days=self.window_days)
                    near.extend(await provider.earnings(ticker, day - span, day + span))
                except Exception as exc:  # optional provider: note it, keep going
                    notes.append(f"{provider.name} earnings unavailable: {type(exc).__name__}")
        near.sort(key=lambda e: e.day)
        reasons = []
        for e in near:
            delta = (e.day - day).days
            when = (
                "today"
                if delta == 0
                else f"in {delta} day(s)"
                if delta > 0
                else f"{-delta} day(s) ago"
            )
            label = "" if e.status == "scheduled" else f", {e.status}"
            reasons.append(f"{e.kind} {e.day.isoformat()} ({when}{label}): {e.title}")
        return EventCheck(events=near, reasons=reasons, notes=notes)
