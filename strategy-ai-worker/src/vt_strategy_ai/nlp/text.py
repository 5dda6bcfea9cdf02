"""Text normalisation and the global extractors (symbols, timeframe, risk, sizing, costs, dates).

Every extractor reads the lower-cased text, returns what it found and blanks the span it used, so
later stages (the condition parser) never read "5% stop loss" as "price above 5".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vt_strategy_ai.catalog import (
    KNOWN_TICKERS,
    NOT_TICKERS,
    SYMBOL_ALIASES,
    normalise_symbol,
)

NUM = r"(\d+(?:\.\d+)?)"
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "fifty": "50",
    "hundred": "100",
}
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")


@dataclass
class Text:
    """The message being parsed: original text and a lower-cased working copy that extractors blank."""

    original: str
    work: str = ""

    def __post_init__(self) -> None:
        low = self.original.lower()
        low = re.sub(r"\b(i\.e\.|e\.g\.)", lambda m: m.group(1).replace(".", ""), low)
        low = low.replace("’", "'").replace("–", "-").replace("—", "-").replace("×", "x")
        low = _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], low)
        # "50,000" -> "50000" (but keep "10, 30" lists)
        low = re.sub(r"(?<=\d),(?=\d{3}\b)", "", low)
        # "short/long moving average" means fast/slow, not a trade direction
        low = re.sub(
            r"\bshort(?:er)?[\s-]*(?:term|period)?\s+(?=(?:simple |exponential )?(?:ma|sma|ema|wma|moving average)\b)",
            "fast ",
            low,
        )
        low = re.sub(
            r"\blong(?:er)?[\s-]*(?:term|period)?\s+(?=(?:simple |exponential )?(?:ma|sma|ema|wma|moving average)\b)",
            "slow ",
            low,
        )
        low = re.sub(r"\b(long|short|mid|medium)[\s-]term\b", "", low)
        self.work = " " + low + " "

    def take(self, pattern: str | re.Pattern[str]) -> list[re.Match[str]]:
        """All matches of `pattern` in the working text; their spans are blanked."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        found = list(rx.finditer(self.work))
        for m in reversed(found):
            self.work = self.work[: m.start()] + " " * (m.end() - m.start()) + self.work[m.end() :]
        return found

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.work) is not None


def pct(value: str) -> float:
    return float(value)


# --------------------------------------------------------------------------------------------
# Symbols
# --------------------------------------------------------------------------------------------

_EXPLICIT_SYMBOL = re.compile(
    r"(?<![A-Za-z0-9])((?:sample|demo):[A-Za-z0-9_.]+|[A-Za-z]{2,10}/[A-Za-z]{2,6}|\d{1,5}\.hk|\^[A-Za-z]{2,6})(?![A-Za-z0-9/])",
    re.IGNORECASE,
)
_UPPER_WORD = re.compile(r"(?<![A-Za-z0-9$%:/^.])\$?([A-Z]{1,5})(?![A-Za-z0-9/]|:[A-Za-z0-9])")
_LOWER_WORD = re.compile(r"(?<![a-z0-9:/^])\$?([a-z]{2,5})(?![a-z0-9/]|:[a-z0-9])")


@dataclass
class SymbolHit:
    symbol: str
    start: int


def find_symbols(text: Text) -> list[SymbolHit]:
    """Symbols in order of appearance: explicit forms, aliases, tickers (upper case, or known)."""
    hits: list[SymbolHit] = []
    seen: set[str] = set()
    original = text.original

    def add(sym: str, start: int) -> None:
        if sym not in seen:
            seen.add(sym)
            hits.append(SymbolHit(sym, start))

    masked = original
    for m in _EXPLICIT_SYMBOL.finditer(original):
        raw = m.group(1)
        sym = normalise_symbol(raw)
        if "/" in sym:
            base, quote = sym.split("/", 1)
            if base.lower() in {"buy", "sell", "long", "short", "and", "or", "in", "out", "up"}:
                continue
            if quote not in {"USDT", "USD", "USDC", "BTC", "ETH", "EUR", "BUSD"}:
                continue
        add(sym, m.start())
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    low = masked.lower()
    for alias, sym in sorted(SYMBOL_ALIASES.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(r"(?<![a-z0-9^])" + re.escape(alias) + r"(?![a-z0-9])", low):
            if alias in {"sol", "meta", "gold", "coke"} and not _alias_ok(
                original, m.start(), alias
            ):
                continue
            add(sym, m.start())
            low = low[: m.start()] + " " * (m.end() - m.start()) + low[m.end() :]
            masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    for m in _UPPER_WORD.finditer(masked):
        word = m.group(1)
        if word in NOT_TICKERS or (len(word) == 1 and word not in {"F", "T", "C", "V"}):
            continue
        if len(word) == 1:
            continue
        add(word, m.start())
    for m in _LOWER_WORD.finditer(masked):
        word = m.group(1).upper()
        if word in KNOWN_TICKERS:
            add(word, m.start())
    hits.sort(key=lambda h: h.start)
    return hits


def _alias_ok(original: str, start: int, alias: str) -> bool:
    """Ambiguous aliases count only when written as a name (capitalised) or next to 'price'."""
    word = original[start : start + len(alias)]
    return word[:1].isupper()


# --------------------------------------------------------------------------------------------
# Timeframe
# --------------------------------------------------------------------------------------------

_TIMEFRAME_PATTERNS: list[tuple[str, str]] = [
    (
        r"\b(?:1|one)[\s-]*min(?:ute)?s?\b|\b1m\b|(?<![\d][\s-])(?<![\d])\bminute bars?\b|\bevery minute\b",
        "1m",
    ),
    (r"\b5[\s-]*min(?:ute)?s?\b|\b5m\b", "5m"),
    (r"\b15[\s-]*min(?:ute)?s?\b|\b15m\b", "15m"),
    (r"\b30[\s-]*min(?:ute)?s?\b|\b30m\b|\bhalf[\s-]hour(?:ly)?\b", "30m"),
    (r"\b4[\s-]*h(?:ou)?rs?\b|\b4h\b|\b4[\s-]hour(?:ly)?\b|\b240[\s-]*min", "4h"),
    (
        r"\bhourly\b|\b1[\s-]*h(?:ou)?r\b|\b1h\b|\b(?:1|one)[\s-]hour\b|\b60[\s-]*min(?:ute)?s?\b|\bhour(?:ly)? (?:bars?|candles?|chart)",
        "1h",
    ),
    (r"\bweekly\b|\b1w\b|\bweek(?:ly)? (?:bars?|candles?|chart)\b", "1w"),
    (
        r"\bdaily\b|\b1d\b|\bdaily (?:bars?|candles?|chart)\b|\bday bars?\b|\bend[\s-]of[\s-]day\b",
        "1d",
    ),
]
_UNSUPPORTED_TF = re.compile(
    r"\b(monthly|month(?:ly)? bars?|tick(?:s| data| by tick)?|second bars?|\d+[\s-]*(?:sec(?:ond)?s?|s)\b(?! ago)|(?:2|3|6|8|12)[\s-]*h(?:ou)?rs?\b|(?:2|3|10|20|45)[\s-]*min(?:ute)?s?\b|(?:2|3|10|20|45)m\b|(?:2|3|6|8|12)h\b)"
)


def find_timeframe(text: Text) -> tuple[str | None, str | None]:
    """(supported timeframe, unsupported phrase) found in the text."""
    for pattern, tf in _TIMEFRAME_PATTERNS:
        if text.take(pattern):
            return tf, None
    m = _UNSUPPORTED_TF.search(text.work)
    if m and not re.search(r"(hold|after|for|exit|within)\s*$", text.work[: m.start()]):
        return None, m.group(0).strip()
    return None, None


# --------------------------------------------------------------------------------------------
# Risk
# --------------------------------------------------------------------------------------------

_FRACTIONS = {
    "half": 0.5,
    "a half": 0.5,
    "a third": 1 / 3,
    "one third": 1 / 3,
    "1 third": 1 / 3,
    "a quarter": 0.25,
    "one quarter": 0.25,
    "1 quarter": 0.25,
    "two thirds": 2 / 3,
    "2 thirds": 2 / 3,
}
_FRACTION_RE = r"(half|a half|a third|one third|1 third|a quarter|one quarter|1 quarter|two thirds|2 thirds|\d+(?:\.\d+)?\s*%)"


@dataclass
class RiskFound:
    stop_pct: float | None = None
    atr_stop: tuple[float, int] | None = None
    trailing_pct: float | None = None
    take_profit: list[tuple[float, float]] = field(default_factory=list)
    max_holding_bars: int | None = None
    remove_stop: bool = False
    remove_take_profit: bool = False
    remove_trailing: bool = False
    notes: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(
            self.stop_pct is not None
            or self.atr_stop
            or self.trailing_pct is not None
            or self.take_profit
            or self.max_holding_bars
            or self.remove_stop
            or self.remove_take_profit
            or self.remove_trailing
        )


def find_risk(text: Text) -> RiskFound:
    found = RiskFound()
    if text.take(r"\b(?:remove|drop|no|without|delete)\s+(?:the\s+)?trailing(?:\s*stop)?\b"):
        found.remove_trailing = True
    if text.take(r"\b(?:remove|drop|no|without|delete)\s+(?:the\s+)?stop(?:[\s-]*loss)?\b"):
        found.remove_stop = True
    if text.take(
        r"\b(?:remove|drop|no|without|delete)\s+(?:the\s+)?(?:take[\s-]*profits?|profit targets?|targets?)\b"
    ):
        found.remove_take_profit = True
    # trailing first: "5% trailing stop" also contains "stop"
    for m in text.take(
        rf"{NUM}\s*%\s*trailing(?:[\s-]*stop(?:[\s-]*loss)?)?|trail(?:ing)?(?:[\s-]*stop(?:[\s-]*loss)?)?\s*(?:of|at|to|=|:)?\s*(?:be\s*)?{NUM}\s*%"
    ):
        found.trailing_pct = pct(m.group(1) or m.group(2))
    for m in text.take(
        rf"(?:stop(?:[\s-]*loss)?|stop out)\s*(?:of|at|to|=|:|is|be)?\s*{NUM}\s*(?:x\s*)?(?:times\s*)?(?:the\s*)?(?:(\d+)[\s-]*(?:day|bar|period)?\s*)?atrs?(?:\s*\(\s*(\d+)\s*\))?"
        rf"|{NUM}\s*(?:x\s*)?(?:times\s*)?(?:the\s*)?(?:(\d+)[\s-]*(?:day|bar|period)?\s*)?atrs?(?:\s*\(\s*(\d+)\s*\))?\s*(?:trailing\s*)?stop(?:[\s-]*loss)?"
    ):
        mult = float(m.group(1) or m.group(4))
        win = m.group(2) or m.group(3) or m.group(5) or m.group(6)
        found.atr_stop = (mult, int(win) if win else 14)
        if "trail" in m.group(0):
            found.notes.append(
                f"'{' '.join(m.group(0).split())}': trailing stops are by percent only, so I used a fixed "
                f"{mult:g} x ATR stop from the entry price instead; say e.g. '5% trailing stop' for a trailing one."
            )
    for m in text.take(
        rf"(?:stop(?:[\s-]*loss)?|stop out|cut (?:my |the )?loss(?:es)?|sl)\s*(?:of|at|to|=|:|is|be|if (?:it |the price )?(?:drops|falls|loses))?\s*(?:-|minus\s*)?{NUM}\s*%"
        rf"|(?:-)?{NUM}\s*%\s*(?:hard\s*|protective\s*|fixed\s*)?(?:stop(?:[\s-]*loss)?|sl)\b"
        rf"|(?:exit|sell|get out)\s*(?:if|when|once)\s*(?:it|price|the price|the position|i am|i'm|we are)?\s*(?:is\s*)?(?:drops?|falls?|loses?|down)\s*(?:by\s*)?{NUM}\s*%\s*(?:from (?:entry|the entry|my entry|the buy price))?"
    ):
        found.stop_pct = pct(m.group(1) or m.group(2) or m.group(3))
    # staged exits: "sell half at +15% and the rest at +30%"
    staged = text.take(
        rf"(?:sell|take|close|exit|book|take profit on)\s*{_FRACTION_RE}\s*(?:off\s*|out\s*)?(?:of\s*(?:the|my)?\s*(?:position|shares|it))?\s*(?:at|when up|when it is up|at a gain of|on a)\s*\+?{NUM}\s*%(?:\s*(?:gain|profit|up))?"
    )
    for m in staged:
        frac_raw = m.group(1).strip()
        frac = _FRACTIONS.get(frac_raw) or float(frac_raw.rstrip("%").strip()) / 100.0
        found.take_profit.append((pct(m.group(2)), frac))
    for m in text.take(
        rf"(?:and\s*)?(?:sell|close|exit|take)?\s*the\s*(?:rest|remainder|remaining(?:\s*half)?|other half)\s*(?:at|when up|on a)\s*\+?{NUM}\s*%"
    ):
        found.take_profit.append((pct(m.group(1)), 1.0))
    for m in text.take(
        rf"(?:take[\s-]*profits?|profit[\s-]*target|target|tp)\s*(?:of|at|to|=|:|is|be)?\s*\+?{NUM}\s*%"
        rf"|\+?{NUM}\s*%\s*(?:take[\s-]*profit|profit[\s-]*target|target|tp)\b"
        rf"|(?:exit|sell|close)\s*(?:if|when|once|at)\s*(?:it|price|the price|the position|i am|i'm)?\s*(?:is\s*)?(?:up|gains?|rises?|a gain of|a profit of)\s*(?:by\s*)?\+?{NUM}\s*%"
    ):
        found.take_profit.append((pct(m.group(1) or m.group(2) or m.group(3)), 1.0))
    for m in text.take(
        r"(?:max(?:imum)?\s*(?:holding|hold)(?:\s*period|\s*time)?\s*(?:of|=|:|is)?\s*|max(?:imum)?\s*(?:of\s*)?(?=\d+\s*(?:bars?|days?|sessions?|candles?)\b)|hold(?:ing)?\s*(?:for\s*)?(?:at most|max(?:imum)?|no more than|up to)\s*|(?:exit|close|sell|get out|or|and)?\s*after\s*(?:holding\s*(?:for\s*)?)?|time\s*stop\s*(?:of|after)?\s*)(\d+)\s*(?:trading\s*)?(bars?|days?|sessions?|weeks?|hours?|candles?)\b(?!\s*(?:in a row|of|high|low))"
    ):
        n = int(m.group(1))
        unit = m.group(2)
        found.max_holding_bars = n * 5 if unit.startswith("week") else n
    found.take_profit.sort()
    return found


# --------------------------------------------------------------------------------------------
# Sizing
# --------------------------------------------------------------------------------------------


def find_sizing(text: Text) -> dict[str, Any] | None:
    for m in text.take(
        r"(?:(half|quarter|full|a third|1 third)[\s-]*kelly|kelly\s*(?:fraction|sizing|criterion)?\s*(?:of|with|at|=)?\s*(?:fraction\s*)?(0?\.\d+|\d+(?:\.\d+)?\s*%)?|(0?\.\d+)\s*(?:x\s*)?kelly)"
    ):
        word, val, val2 = m.group(1), m.group(2), m.group(3)
        fraction = 0.5
        if word:
            fraction = {"half": 0.5, "quarter": 0.25, "full": 1.0, "a third": 1 / 3}.get(
                word, 1 / 3
            )
        elif val:
            fraction = float(val.rstrip("%").strip()) / (100 if val.endswith("%") else 1)
        elif val2:
            fraction = float(val2)
        fraction = min(max(fraction, 0.01), 1.0)
        return {"kind": "kelly", "fraction": round(fraction, 4)}
    for m in text.take(
        rf"(?:volatility|vol)[\s-]*target(?:ing|ed)?\s*(?:of|at|to|=|:)?\s*{NUM}\s*%|target(?:ing)?\s*{NUM}\s*%\s*(?:annual(?:ised|ized)?\s*)?(?:volatility|vol)|{NUM}\s*%\s*(?:annual(?:ised|ized)?\s*)?(?:volatility|vol)[\s-]*target"
    ):
        target = float(m.group(1) or m.group(2) or m.group(3))
        return {"kind": "volatility_target", "target_vol_pct": target, **_leverage(text)}
    if text.take(r"(?:volatility|vol)[\s-]*target(?:ing|ed)?(?:\s*sizing)?"):
        return {"kind": "volatility_target", **_leverage(text)}
    for m in text.take(
        r"\$\s*(\d+(?:\.\d+)?)\s*(k|m)?\s*(?:per|each|a|every)\s*(?:trade|position|entry)"
        r"|(\d+(?:\.\d+)?)\s*(k|m)?\s*(?:usd|dollars)\s*(?:per|each|a)\s*(?:trade|position|entry)"
    ):
        amount = float(m.group(1) or m.group(3)) * _mult(m.group(2) or m.group(4))
        return {"kind": "fixed_cash", "amount": amount}
    for m in text.take(
        rf"{NUM}\s*%\s*(?:of\s*(?:my\s*|the\s*|our\s*)?(?:equity|capital|portfolio|account|cash)|position[\s-]*size|per\s*(?:trade|position|entry)|allocation|sizing|in each trade)"
        rf"|(?:position[\s-]*size|size|allocate|allocation|invest|risk)\s*(?:of|=|:|is|to|each trade at|per trade)?\s*{NUM}\s*%(?!\s*(?:hard\s*|protective\s*|fixed\s*)?(?:stop|sl\b|trailing))"
        r"|\b(all[\s-]*in)\b"
    ):
        if m.group(3):
            return {"kind": "percent_equity", "percent": 100.0}
        value = float(m.group(1) or m.group(2))
        return {"kind": "percent_equity", "percent": value}
    return None


def _leverage(text: Text) -> dict[str, float]:
    """'with at most 2x leverage', 'leverage capped at 1.5' (volatility targeting)."""
    for m in text.take(
        r"(?:with\s*)?(?:at most|max(?:imum)?|up to|no more than)\s*(\d+(?:\.\d+)?)\s*x?\s*(?:times\s*)?leverage"
        r"|(?:with\s*)?(?:max(?:imum)?\s*)?leverage\s*(?:of|at|up to|capped at|cap(?:ped)?|<=|=|:)?\s*(\d+(?:\.\d+)?)\s*x?"
    ):
        return {"max_leverage": float(m.group(1) or m.group(2))}
    return {}


def find_scale_in(text: Text) -> list[dict[str, float]]:
    """Extra tranches: 'add half if the price falls 5% from the first fill'."""
    steps: list[dict[str, float]] = []
    text.take(
        r"\bin\s*(?:2|two)\s*(?:halves|tranches|parts)\s*:?|\bhalf\s*at\s*(?:the\s*)?(?:signal|entry|first fill)\s*(?:and\s*)?"
    )
    for m in text.take(
        rf"(?:add|buy|and)?\s*(?:another\s*|the\s*other\s*|a\s*second\s*|an?\s*extra\s*)?{_FRACTION_RE}\s*(?:more\s*)?(?:of\s*the\s*position\s*)?(?:tranche\s*)?"
        r"(?:if|when|once|on\s*a|after\s*a)\s*(?:the\s*)?(?:price\s*|it\s*)?"
        r"(falls?|drops?|dips?|declines?|rises?|gains?|goes\s*up|goes\s*down|moves?\s*up|moves?\s*down|\d+(?:\.\d+)?\s*%\s*(?:dip|drop|decline|rise|gain))"
        rf"\s*(?:another\s*|a\s*further\s*|further\s*)?(?:by\s*)?(?:{NUM}\s*%)?\s*(?:further\s*)?(?:from\s*(?:the\s*)?(?:first\s*fill|entry|first\s*entry|entry\s*price))?"
    ):
        frac_raw = m.group(1).strip()
        frac = _FRACTIONS.get(frac_raw) or float(frac_raw.rstrip("%").strip()) / 100.0
        word = m.group(2)
        inline = re.match(r"(\d+(?:\.\d+)?)", word)
        move = float(m.group(3) or (inline.group(1) if inline else 0))
        if move <= 0:
            continue
        down = re.search(r"fall|drop|dip|decline|down", word) is not None
        steps.append({"move_pct": -move if down else move, "fraction": round(frac, 6)})
    return steps


def find_fill(text: Text) -> str | None:
    """'fill at the close of the signal bar' -> 'close'; 'fill at the next open' -> 'next_open'."""
    if text.take(
        r"(?:fill(?:ed)?|execute[d]?|trade[d]?|orders?\s*fill(?:ed)?)\s*(?:orders?\s*|trades?\s*)?(?:at|on)\s*(?:the\s*)?(?:same[\s-]*bar'?s?\s*|signal[\s-]*bar'?s?\s*)?close(?:\s*of\s*the\s*(?:signal|same)\s*bar)?"
        r"|\bsame[\s-]*bar\s*(?:close\s*)?fills?\b|\bfill\s*on\s*close\b"
    ):
        return "close"
    at_close = list(
        re.finditer(
            r"\b(?:buy|sell|enter|exit|cover|short)\s+(?:[a-z0-9/.:^]+\s+)?(at\s+the\s+close)\b(?!\s*(?:is|was|crosses|>|<|above|below))",
            text.work,
        )
    )
    for m in reversed(at_close):
        a, b = m.span(1)
        text.work = text.work[:a] + " " * (b - a) + text.work[b:]
    if at_close:
        return "close"
    # "buy at the open" / "sell at the next open" is the default fill: nothing to change
    for m in reversed(
        list(
            re.finditer(
                r"\b(?:buy|sell|enter|exit|cover|short)\s+(?:[a-z0-9/.:^]+\s+)?(at\s+the\s+(?:next\s+(?:bar'?s?\s+)?)?open)\b(?!\s*(?:is|was|>|<|above|below))",
                text.work,
            )
        )
    ):
        a, b = m.span(1)
        text.work = text.work[:a] + " " * (b - a) + text.work[b:]
    if text.take(
        r"(?:fill(?:ed)?|execute[d]?)\s*(?:orders?\s*)?(?:at|on)\s*(?:the\s*)?next\s*(?:bar'?s?\s*)?open"
    ):
        return "next_open"
    return None


def _mult(suffix: str | None) -> float:
    if not suffix:
        return 1.0
    s = suffix.lower()
    if s in ("k", "thousand"):
        return 1_000.0
    if s in ("m", "mm", "million"):
        return 1_000_000.0
    if s in ("b", "billion"):
        return 1_000_000_000.0
    return 1.0


# --------------------------------------------------------------------------------------------
# Costs and capital
# --------------------------------------------------------------------------------------------


@dataclass
class CostsFound:
    commission_pct: float | None = None
    commission_fixed: float | None = None
    slippage_pct: float | None = None

    def as_dict(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for key in ("commission_pct", "commission_fixed", "slippage_pct"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _to_pct(value: str, unit: str) -> float:
    v = float(value)
    return v / 100.0 if unit.startswith(("bp", "basis")) else v


def find_costs(text: Text) -> CostsFound:
    found = CostsFound()
    if text.take(
        r"\b(?:no|zero|without|ignore)\s*(?:trading\s*)?(?:fees|costs|commissions?|fees or slippage|costs or slippage)\b|\bfrictionless\b|\bcost[\s-]*free\b"
    ):
        found.commission_pct, found.commission_fixed, found.slippage_pct = 0.0, 0.0, 0.0
    if text.take(r"\b(?:no|zero|without)\s*slippage\b"):
        found.slippage_pct = 0.0
    unit = r"(%|bps|bp|basis points?)"
    for m in text.take(
        rf"{NUM}\s*{unit}\s*(?:of\s*)?slippage|slippage\s*(?:of|=|:|is|at)?\s*{NUM}\s*{unit}"
    ):
        found.slippage_pct = _to_pct(m.group(1) or m.group(3), m.group(2) or m.group(4))
    fixed_fee = re.compile(
        r"\$\s*(\d+(?:\.\d+)?)\s*(?:per|a|each|/)\s*(?:trade|order|fill|side)(?:\s*(?:commission|fees?))?"
        r"|(?:commission|fees?)\s*(?:of|=|:|is)?\s*\$\s*(\d+(?:\.\d+)?)(?:\s*(?:per|a|each)\s*(?:trade|order|fill|side))?"
    )
    fee = fixed_fee.search(text.work)
    # "$1 per trade" is a fee; "$10000 per trade" is a position size (left for the sizing parser)
    if fee and float(fee.group(1) or fee.group(2)) <= 100:
        text.take(re.escape(fee.group(0)))
        found.commission_fixed = float(fee.group(1) or fee.group(2))
    for m in text.take(
        rf"{NUM}\s*{unit}\s*(?:per\s*(?:side|trade)\s*)?(?:commissions?|fees?|trading fees?|transaction costs?|costs?)"
        rf"|(?:commissions?|fees?|transaction costs?|costs)\s*(?:of|=|:|is|at)?\s*{NUM}\s*{unit}"
    ):
        found.commission_pct = _to_pct(m.group(1) or m.group(3), m.group(2) or m.group(4))
    return found


def find_capital(text: Text) -> float | None:
    for m in text.take(
        r"(?:\$|usd\s*|hk\$\s*)\s*(\d+(?:\.\d+)?)\s*(k|m|thousand|million)?\b(?:\s*(?:usd|dollars))?(?:\s*(?:of\s*)?(?:capital|account|portfolio|starting capital|initial capital|to start|bankroll))?"
        r"|(?:capital|account|portfolio|bankroll|starting with|start with)\s*(?:size\s*)?(?:of|=|:|is)?\s*(\d+(?:\.\d+)?)\s*(k|m|thousand|million)?\s*(?:usd|dollars)?\b"
        r"|(\d+(?:\.\d+)?)\s*(k|m|thousand|million)?\s*(?:usd|dollars)\b"
        r"|\b(\d+(?:\.\d+)?)\s*(k|thousand|million)\b(?!\s*(?:per|bars?|days?|candles?|volume))"
    ):
        value = float(m.group(1) or m.group(3) or m.group(5) or m.group(7))
        return value * _mult(m.group(2) or m.group(4) or m.group(6) or m.group(8))
    return None


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_DATE = r"(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)"


def _parse_date(raw: str, end: bool = False) -> date:
    parts = [int(p) for p in raw.split("-")]
    if len(parts) == 3:
        return date(parts[0], parts[1], parts[2])
    if len(parts) == 2:
        if end:
            nxt = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
            return date.fromordinal(nxt.toordinal() - 1)
        return date(parts[0], parts[1], 1)
    return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_YEAR = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:(\d{1,2})(?:st|nd|rd|th)?,?\s+)?(\d{4})\b"
)


def _month_names(work: str) -> str:
    """'january 2010' -> '2010-01', 'march 5, 2011' -> '2011-03-05' (same length or shorter)."""

    def sub(m: re.Match[str]) -> str:
        month = _MONTHS[m.group(1)[:3]]
        day = f"-{int(m.group(2)):02d}" if m.group(2) else ""
        return f"{m.group(3)}-{month:02d}{day}"

    return _MONTH_YEAR.sub(sub, work)


def find_period(text: Text, today: date) -> tuple[date | None, date | None] | None:
    """(start, end) when the text gives a date range."""
    text.work = _month_names(text.work)
    try:
        for m in text.take(
            rf"(?:from|between)\s*{_DATE}\s*(?:to|until|till|through|thru|and|-)\s*{_DATE}|\b{_DATE}\s*(?:-|to)\s*{_DATE}\b(?!\s*(?:%|days?|bars?))"
        ):
            a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if _plausible_year(a) and _plausible_year(b):
                return _parse_date(a), _parse_date(b, end=True)
        for m in text.take(rf"(?:since|from|starting(?: in)?|after)\s*{_DATE}"):
            if _plausible_year(m.group(1)):
                return _parse_date(m.group(1)), None
        for m in text.take(rf"(?:until|till|through|up to|before)\s*{_DATE}"):
            if _plausible_year(m.group(1)):
                return None, _parse_date(m.group(1), end=True)
        for m in text.take(r"(?:over |for |in )?(?:the )?(?:last|past)\s*(\d+)\s*years?"):
            years = int(m.group(1))
            return date(today.year - years, today.month, min(today.day, 28)), None
        for m in text.take(r"\b(?:in|during)\s*(\d{4})\b"):
            if _plausible_year(m.group(1)):
                return _parse_date(m.group(1)), _parse_date(m.group(1), end=True)
    except ValueError:
        return None
    return None


def _plausible_year(raw: str) -> bool:
    year = int(raw[:4])
    return 1900 <= year <= 2100


# --------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------

_BENCH_RE = re.compile(
    r"(?:\bvs\.?|\bversus|\bagainst|\bbenchmark(?:ed)?\s*(?:against|to|vs\.?|is|=|:)?|\bcompared?\s*(?:it\s+|this\s+|performance\s+|results?\s+|returns?\s+)?(?:to|with|against)|\brelative\s*to|\bmeasured\s*against)\s+(?:the\s+|a\s+)?"
    r"(?:buy(?:ing)?[\s-]*(?:and|&|n)[\s-]*hold(?:ing)?\s+(?:of\s+)?(?:the\s+)?)?(?:benchmark\s+)?",
    re.IGNORECASE,
)


_BENCH_AFTER = re.compile(r"([\^\w./:-]+)\s+as\s+(?:the\s+|a\s+|my\s+)?benchmark", re.IGNORECASE)
BENCH_WORDS = (
    r"(?:\bcompared?\s*(?:it\s*|this\s*|performance\s*|results?\s*|returns?\s*)?(?:to|with|against)|\bbenchmark(?:ed)?\s*(?:against|to|vs\.?|is|=|:)?"
    r"|\bvs\.?|\bversus|\bagainst|\brelative\s*to|\bmeasured\s*against)\s*(?:(?:a|the)\s*)?"
    r"(?:buy(?:ing)?[\s-]*(?:and|&|n)[\s-]*hold(?:ing)?\s*(?:of\s*)?(?:the\s*)?)?(?:benchmark\s*)?"
    r"|\bas\s*(?:the\s*|a\s*|my\s*)?benchmark\b"
)


def find_benchmark_positions(original: str) -> list[int]:
    """Start positions (in the original text) of a symbol named as the benchmark."""
    return [m.end() for m in _BENCH_RE.finditer(original)] + [
        m.start(1) for m in _BENCH_AFTER.finditer(original)
    ]
