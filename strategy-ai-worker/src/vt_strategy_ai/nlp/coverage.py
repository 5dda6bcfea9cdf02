"""Nothing silently dropped: phrases StrategySpec cannot express, trend-filter phrases, and the
"I did not understand: '…'" notes for clauses no extractor or condition used.

Every clause of a message must end up in the spec, in the assumptions, or in a warning that
quotes it. The extractors blank what they use; what is left over with a meaningful word in it
is reported here.
"""

from __future__ import annotations

import re

from vt_strategy_ai.catalog import UNSUPPORTED_INDICATORS
from vt_strategy_ai.nlp.conditions import Cond, Context
from vt_strategy_ai.nlp.text import Text

# (pattern, why it cannot be expressed)
_NOT_EXPRESSIBLE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bgap(?:s|ped|ping)?\b(?:\s*(?:up|down))?"),
        "gap rules (today's open against yesterday's close by a percentage) are not supported yet",
    ),
    (
        re.compile(
            r"\b(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?|day of (?:the )?week|month[\s-]*end|end of (?:the )?month|turn of the month)\b"
        ),
        "calendar rules (days of the week, month ends) are not supported yet",
    ),
    (
        re.compile(
            r"\b(?:fomc|fed (?:meeting|decision|announcement)s?|cpi|nfp|non[\s-]*farm payrolls?|jobs report|economic (?:calendar|releases?|events?))\b"
        ),
        "event filters (FOMC, CPI, NFP, earnings) are not supported yet",
    ),
    (
        re.compile(
            r"\b(?:take[\s-]*profits?|profit[\s-]*targets?|targets?)\s*(?:at|of|=|:)?\s*\d+(?:\.\d+)?\s*x?\s*(?:times\s*)?(?:the\s*)?atrs?\b"
        ),
        "an ATR-based take-profit is not supported yet: take-profit stages are in percent (e.g. 'take profit at 6%')",
    ),
    (
        re.compile(
            r"\b(?:no more than|at most|max(?:imum)?(?:\s+of)?|up to|only)\s*\d+\s*(?:trades?|entries|positions?|orders?)\s*(?:per|a|each|every)\s*(?:day|week|month|year)\b"
        ),
        "limits on the number of trades are not supported yet",
    ),
    (
        re.compile(r"\b(?:max(?:imum)?|portfolio)\s*draw[\s-]*down\b"),
        "a portfolio drawdown limit is not supported yet: use a stop loss or a trailing stop per position",
    ),
    (
        re.compile(r"\b(?:rotat(?:e|es|ing|ion)|switch(?:es|ing)?)\s+(?:between|among|from)\b"),
        "rotation between assets (hold one, otherwise another) is not supported yet: a strategy applies the same rules to every symbol it trades",
    ),
    (
        re.compile(
            r"\blimit (?:orders?|entries|entry|prices?)\b|\bstop[\s-]*(?:limit|entry|market) orders?\b"
        ),
        "order types (limit and stop entries) are not supported yet: orders fill at the next bar's open, or at the signal bar's close",
    ),
]

_CLAUSE_BREAK = re.compile(r"[,;.!?\n]|\bbut\b|\band\b(?=\s+(?:sell|exit|close|cover|buy|short))")


def not_expressible(text: Text) -> list[str]:
    """Warnings for phrases StrategySpec cannot express; their clauses are blanked so they are
    not half-read as something else ('gaps up more than 2%' is not 'close above 2')."""
    warnings: list[str] = []
    for rx, why in _NOT_EXPRESSIBLE:
        while True:
            m = rx.search(text.work)
            if m is None:
                break
            start, end = _clause_bounds(text.work, m.start(), m.end())
            quoted = " ".join(text.work[start:end].split())
            text.work = text.work[:start] + " " * (end - start) + text.work[end:]
            warnings.append(f"I did not understand: '{quoted}' — {why}.")
    return warnings


def cross_check(message: str, warnings: list[str]) -> list[str]:
    """For a model's answer: the not-expressible clauses of the message its own `unmapped` list
    did not mention (the platform checks the model instead of trusting it)."""
    said = " ".join(warnings).lower()
    out: list[str] = []
    text = Text(message)
    for rx, why in _NOT_EXPRESSIBLE:
        for m in rx.finditer(text.work):
            if m.group(0).strip() not in said:
                start, end = _clause_bounds(text.work, m.start(), m.end())
                quoted = " ".join(text.work[start:end].split())
                note = f"I did not understand: '{quoted}' — {why}."
                if note not in out:
                    out.append(note)
    return out


def _clause_bounds(work: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for m in _CLAUSE_BREAK.finditer(work, 0, start):
        left = m.end()
    right_m = _CLAUSE_BREAK.search(work, end)
    right = right_m.start() if right_m else len(work)
    return left, right


_TREND_FILTER = re.compile(
    r"(?:\b(?:with|using|plus|and|add)\s+)?(?:an?\s+|the\s+)?"
    r"(?:(\d+)[\s-]*(d|day|days|bar|bars|period|week|weeks|hour|hours)?[\s-]*)?"
    r"(simple moving average|exponential moving average|moving average|sma|ema|wma|ma)?\s*"
    r"(?:(?:long[\s-]*term\s*)?trend|regime)?[\s-]*filter\b"
)


def find_trend_filters(text: Text, ctx: Context) -> list[Cond]:
    """'with a 100-day EMA filter', 'a 200-day trend filter', 'trend filter': long only above the
    average (mirrored later for short-only strategies)."""
    out: list[Cond] = []
    for m in list(_TREND_FILTER.finditer(text.work)):
        num, unit, word = m.group(1), m.group(2), m.group(3)
        phrase = m.group(0)
        if not (num or word or re.search(r"trend|regime", phrase)):
            continue
        if not (num or word):
            # "Trend filter: only buy when the 50-day EMA is above the 200-day EMA" is a label
            rest = re.split(r"[.;!?\n]", text.work[m.end() :], maxsplit=1)[0]
            if re.match(r"\s*(?::|-\s|only\b)", rest) and re.search(
                r"\b(?:above|below|over|under)\b|[<>]", rest
            ):
                text.work = (
                    text.work[: m.start()] + " " * (m.end() - m.start()) + text.work[m.end() :]
                )
                continue
        window = int(num) if num else 200
        if unit and unit.startswith("week"):
            window *= ctx.week_bars
        kind = {
            "ema": "ema",
            "exponential moving average": "ema",
            "wma": "wma",
        }.get(word or "", "sma")
        if not num:
            ctx.assume(
                f"A trend filter without a length reads as: only enter while the close is above its {window}-day {kind.upper()}."
            )
        elif not word:
            ctx.assume(
                f"The {window}-bar trend filter uses a simple moving average: entries only while the close is above it."
            )
        ident = ctx.registry.add(kind, f"{kind}_{window}", window=window)
        out.append(
            {
                "kind": "compare",
                "left": {"kind": "price", "field": "close"},
                "op": ">",
                "right": {"kind": "indicator", "id": ident},
            }
        )
        text.work = text.work[: m.start()] + " " * (m.end() - m.start()) + text.work[m.end() :]
    return out


def not_understood_warnings(ctx: Context) -> list[str]:
    """Quoted notes for what was left over, except pieces naming an unsupported indicator (those
    get the 'X is not supported' answer instead)."""
    left = [
        p
        for p in ctx.unparsed
        if not any(
            re.search(r"(?<![a-z])" + re.escape(k.strip()) + r"(?![a-z])", p)
            for k in UNSUPPORTED_INDICATORS
        )
    ]
    return list(ctx.not_supported) + [f"I did not understand: '{p}'." for p in left]
