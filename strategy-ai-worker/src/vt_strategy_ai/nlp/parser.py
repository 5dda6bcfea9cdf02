"""The offline, deterministic natural-language parser.

`parse_message(text, current=None)` reads one chat message and returns a `ParseResult`: the
intent, a StrategySpec-shaped dict (for a new strategy, or the current one edited), the
assumptions it made, warnings, and at most ONE clarifying question when it cannot build a spec.
It never invents a rule the user did not describe: defaults are limited to parameters of
something the user named (e.g. RSI length 14) and to protective risk settings, and every
default is listed in `assumptions`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from vt_contracts import StrategySpec
from vt_strategy_ai.catalog import (
    INDICATORS,
    SUPPORTED_TIMEFRAMES,
    SYMBOL_ALIASES,
    UNSUPPORTED_INDICATORS,
    market_of,
)
from vt_strategy_ai.nlp.conditions import (
    Cond,
    Context,
    IndicatorRegistry,
    Operand,
    find_topic,
    merge_indicators,
    mirror,
    parse_conditions,
)
from vt_strategy_ai.nlp.coverage import (
    find_trend_filters,
    not_expressible,
    not_understood_warnings,
)
from vt_strategy_ai.nlp.edits import (
    edit_filters,
    edit_removals,
    flip_direction,
    leftover_edit_words,
)
from vt_strategy_ai.nlp.segments import ACTION, CONDITION_HINT, segments
from vt_strategy_ai.nlp.text import (
    BENCH_WORDS,
    CostsFound,
    RiskFound,
    Text,
    find_benchmark_positions,
    find_capital,
    find_costs,
    find_fill,
    find_period,
    find_risk,
    find_scale_in,
    find_sizing,
    find_symbols,
    find_timeframe,
)
from vt_strategy_ai.spec.explain import explain_rules

Intent = Literal["new", "modify", "question", "clarify", "unsupported", "refuse"]

MAX_MESSAGE_CHARS = 4000


@dataclass
class ParseResult:
    intent: Intent
    spec: dict[str, Any] | None = None
    clarification: str | None = None
    answer: str | None = None
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


_INJECTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier) (?:instructions|prompts?|rules)|"
    r"\bos\.system\b|\bsubprocess\b|\bimport os\b|\b__import__\b|\beval\s*\(|\bexec\s*\(|\brm -rf\b|"
    r"\bsystem prompt\b|\bjailbreak\b|\bdeveloper mode\b|\bshell command\b|\breverse shell\b|"
    r"\bapi[_ ]?key\b|\bpassword\b|/etc/passwd|\bcurl\s+http|\bwget\s+http",
    re.IGNORECASE,
)
_CODE_REQUEST = re.compile(
    r"\b(?:run|execute|eval(?:uate)?)\b.{0,40}\b(?:code|script|python|program|command|shell)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^\s*(?:what'?s|what|which|how|why|can|could|does|do|is|are|explain|tell me|help|should|when does|where)\b",
    re.IGNORECASE,
)
_EDIT_WORDS = re.compile(
    r"\b(?:instead|change|make|set|switch|use|add|remove|drop|increase|decrease|raise|lower|tighten|widen|update|replace|modify|adjust|put|move|also|now|try|let's|lets|tweak)\b"
)
_PAIRS = re.compile(r"\bpairs?\b|\bspread\b|\bcointegrat|\bstat(?:istical)?[\s-]*arb")


def prescreen(message: str, *, english_only: bool = True) -> ParseResult | None:
    """Answers that need no parsing or model: empty, oversized, injection attempts, non-English."""
    text_raw = (message or "").strip()
    if not text_raw:
        return ParseResult(
            "clarify",
            clarification="Your message was empty. Which strategy would you like to build? For example: 'Buy SPY when the 50-day SMA crosses above the 200-day SMA, sell on the cross back, 5% stop loss'.",
        )
    if len(text_raw) > MAX_MESSAGE_CHARS:
        return ParseResult(
            "clarify",
            clarification=f"That message is {len(text_raw):,} characters long; I read strategy descriptions up to {MAX_MESSAGE_CHARS:,} characters. Please describe the strategy in a few sentences: what to trade, when to buy, when to sell.",
        )
    if _INJECTION.search(text_raw) or _CODE_REQUEST.search(text_raw):
        return ParseResult(
            "refuse",
            answer=(
                "I only turn trading ideas into a StrategySpec; I do not run commands or write free-form code. "
                "The Python you see is generated from the validated spec, and any code you paste goes through the sandbox's static checks. "
                "Describe the strategy instead, e.g. 'buy QQQ when RSI(2) is below 10, sell when it is above 70'."
            ),
        )
    letters = [c for c in text_raw if c.isalpha()]
    if english_only and letters and sum(1 for c in letters if c.isascii()) / len(letters) < 0.5:
        return ParseResult(
            "clarify",
            clarification="I can only read strategy descriptions in English for now. Could you describe it in English, e.g. 'buy 0700.HK when the 20-day SMA crosses above the 50-day SMA'?",
        )

    return None


def parse_message(
    message: str,
    current: dict[str, Any] | None = None,
    *,
    today: date | None = None,
) -> ParseResult:
    """Read one message (and the conversation's current spec, when there is one)."""
    today = today or datetime.now(UTC).date()
    early = prescreen(message)
    if early is not None:
        return early
    text_raw = (message or "").strip()

    text = Text(text_raw)
    unsupported = _unsupported(text.work)
    question_like = bool(_QUESTION_START.match(text_raw) or text_raw.endswith("?"))
    if current is not None and question_like and not _EDIT_WORDS.search(text.work):
        return _question(text_raw, current, unsupported)
    if current is not None and _looks_like_edit(text.work, text.original):
        return _modify(text, current, today, unsupported)
    is_question = _QUESTION_START.match(text_raw) or (
        text_raw.endswith("?") and not ACTION.search(text.work)
    )
    describes_rules = bool(ACTION.search(text.work) and CONDITION_HINT.search(text.work))
    if is_question and not describes_rules:
        return _question(text_raw, current, unsupported)
    return _new(text, today, unsupported)


# --------------------------------------------------------------------------------------------
# Questions, unsupported features
# --------------------------------------------------------------------------------------------


def _unsupported(work: str) -> list[str]:
    found: list[str] = []
    for key, name in UNSUPPORTED_INDICATORS.items():
        if re.search(r"(?<![a-z])" + re.escape(key.strip()) + r"(?![a-z])", work) and (
            name not in found
        ):
            found.append(name)
    return found


def unsupported_message(names: list[str]) -> str:
    listed = ", ".join(sorted(INDICATORS))
    return f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} not supported. Supported indicators: {listed}."


def _question(text_raw: str, current: dict[str, Any] | None, unsupported: list[str]) -> ParseResult:
    low = text_raw.lower()
    if unsupported:
        return ParseResult(
            "question", answer=unsupported_message(unsupported), unsupported=unsupported
        )
    if re.search(r"indicator|what can|support|which (?:markets?|assets?|timeframes?)|help", low):
        inds = "; ".join(f"{k} ({v})" for k, v in INDICATORS.items())
        return ParseResult(
            "question",
            answer=(
                f"Supported indicators: {inds}. Markets: US equities/ETFs (SPY, AAPL), Hong Kong equities (0700.HK), crypto (BTC/USDT), "
                f"and the offline samples SAMPLE:* / DEMO:*. Timeframes: {', '.join(SUPPORTED_TIMEFRAMES)}. "
                "Describe a strategy with what to trade, when to enter and when to exit."
            ),
        )
    if not re.search(
        r"strateg|trade|trading|buy|sell|indicator|rsi|sma|ema|macd|stop|backtest|signal|market|stock|crypto|price",
        low,
    ):
        return ParseResult(
            "question",
            answer="I can only help with trading strategies: describe what to trade and when to buy and sell, and I will build, explain and version the strategy.",
        )
    if current is not None:
        return ParseResult(
            "question",
            answer="See the explanation of the current strategy below. Ask for a change (e.g. 'make the stop 3%', 'use EMA instead') and I will create a new version.",
        )
    return ParseResult(
        "clarify",
        clarification="What would you like to trade, and on which signal should I buy and sell? For example: 'Buy BTC/USDT on daily bars when RSI(14) drops below 30, sell when it rises above 70'.",
    )


# --------------------------------------------------------------------------------------------
# New strategy
# --------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    ctx: Context
    symbols: list[str] = field(default_factory=list)
    benchmark: str | None = None
    timeframe: str | None = None
    bad_timeframe: str | None = None
    entry: list[Cond] = field(default_factory=list)
    entry_join: str = "all"
    exit: list[Cond] = field(default_factory=list)
    exit_join: str = "any"
    short_entry: list[Cond] = field(default_factory=list)
    short_exit: list[Cond] = field(default_factory=list)
    filters: list[Cond] = field(default_factory=list)
    direction: str = "long"
    pair: tuple[str, str] | None = None
    warnings: list[str] = field(default_factory=list)
    trend_filters: list[Cond] = field(default_factory=list)
    weights: dict[str, float] | None = None
    scale_in: list[dict[str, float]] = field(default_factory=list)
    fill: str | None = None
    exit_said: bool = False


def _global_params(text: Text, ctx: Context) -> None:
    """Parameters named once for the whole message: MA pair, MA kind, Bollinger, MACD."""
    w = text.work
    if re.search(r"\b(?:emas?|exponential)\b", w) and not re.search(r"\bsmas?\b|\bsimple\b", w):
        ctx.ma_kind = "ema"
    elif re.search(r"\b(?:wma|weighted)\b", w) and not re.search(r"\bsma\b|\bsimple\b", w):
        ctx.ma_kind = "wma"
    m = re.search(
        r"\b(\d{1,3})\s*(?:/|and|&|vs\.?|,|-)\s*(\d{1,3})(?:[\s-]*(?:day|bar|period|hour|week))?s?[\s-]*(?:simple |exponential |weighted )?(?:sma|ema|wma|ma|moving averages?|crossover|cross)s?\b"
        r"|\b(?:sma|ema|wma|ma|moving averages?|crossover)\s*(?:crossover|cross)?\s*(?:of|with|using)?\s*\(?\s*(\d{1,3})\s*(?:/|and|&|,)\s*(\d{1,3})\b",
        w,
    )
    if m:
        a, b = int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4))
        ctx.ma_pair = (min(a, b), max(a, b))
    m = re.search(
        r"bollinger(?:\s*bands?)?\s*\(\s*(\d+)\s*,\s*(\d+(?:\.\d+)?)\s*\)|(\d+)[\s-]*(?:day|bar|period)?s?[\s,-]*(?:(\d+(?:\.\d+)?)[\s-]*(?:std|sd|sigma|standard deviations?)\s*)?bollinger",
        w,
    )
    window, num_std = 20, 2.0
    if m:
        window = int(m.group(1) or m.group(3))
        std = m.group(2) or m.group(4)
        num_std = float(std) if std else 2.0
        ctx.bb_explicit = True
    s = re.search(
        r"(\d+(?:\.\d+)?)\s*(?:std|sd|sigma|standard deviations?|stdev)\b|(?:std|sd|sigma|standard deviations?)\s*(?:of\s*)?(\d+(?:\.\d+)?)",
        w,
    )
    if (s and "bollinger" in w) or (s and "band" in w):
        assert s is not None
        num_std = float(s.group(1) or s.group(2))
    ctx.bb = (window, num_std)
    m = re.search(r"macd\s*\(?\s*(\d+)\s*[,/ ]\s*(\d+)\s*[,/ ]\s*(\d+)", w)
    if m:
        ctx.macd = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.search(r"stoch(?:astic)?\s*\(?\s*(\d+)\s*[,/ ]\s*(\d+)\s*[,/ ]\s*(\d+)", w)
    if m:
        ctx.stoch = (int(m.group(1)), int(m.group(2)), int(m.group(3)))


_BAR_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240}


def _strip_symbols(work: str, symbols: list[str]) -> str:
    names = {s.lower() for s in symbols}
    names |= {a for a, sym in SYMBOL_ALIASES.items() if sym in symbols and not sym.startswith("^")}
    for name in sorted(names, key=len, reverse=True):
        work = re.sub(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", " ", work)
    return work


def _new(text: Text, today: date, unsupported: list[str]) -> ParseResult:
    ctx = Context(IndicatorRegistry())
    draft = _Draft(ctx)
    assumptions = ctx.assumptions

    hits = find_symbols(text)
    bench_pos = find_benchmark_positions(text.original)
    pairs_talk = bool(_PAIRS.search(text.work))
    for h in hits:
        if any(0 <= h.start - p <= 2 for p in bench_pos) and not (pairs_talk and len(hits) <= 2):
            draft.benchmark = h.symbol
    draft.symbols = [h.symbol for h in hits if h.symbol != draft.benchmark]
    if "^VIX" in draft.symbols and len(draft.symbols) > 1:
        draft.symbols.remove("^VIX")  # the VIX is read as a filter, not traded
    draft.warnings.extend(not_expressible(text))  # quoted before the symbols are blanked
    text.work = _strip_symbols(text.work, [h.symbol for h in hits])
    if draft.benchmark:
        text.take(BENCH_WORDS)
    elif text.take(
        r"\b(?:compared?\s*(?:it\s*|this\s*|that\s*|results?\s*|performance\s*)?(?:to|with|against)|vs\.?|versus|against|benchmark(?:ed)?\s*(?:against|to|vs\.?|:)?)\s*(?:a\s*|the\s*|simple\s*|plain\s*)*buy(?:ing)?[\s-]*(?:and|&|n)[\s-]*hold(?:ing)?\b"
    ):
        ctx.assume("Compared with buying and holding the traded symbols (the default benchmark).")
    for alias in (
        "bitcoin",
        "ethereum",
        "tencent",
        "apple",
        "nvidia",
        "tesla",
        "microsoft",
        "s&p 500",
        "nasdaq",
    ):
        text.work = text.work.replace(alias, " ")

    _weights(text, draft)
    period = find_period(text, today)
    costs = find_costs(text)
    risk_words = re.search(r"\brisk(?:ing)?\s*(?:of\s*)?(\d+(?:\.\d+)?)\s*%(?!\s*stop)", text.work)
    sizing = find_sizing(text)
    if risk_words and sizing and sizing.get("kind") == "percent_equity":
        ctx.assume(
            f"'risk {risk_words.group(1)}%' read as: each entry uses {risk_words.group(1)}% of equity. "
            "Risk-based sizing (losing at most that share at the stop) is not available; say "
            "'target N% volatility' or set a stop to bound the loss."
        )
    capital = find_capital(text)
    draft.scale_in = find_scale_in(text)
    draft.fill = find_fill(text)
    if draft.fill == "close":
        ctx.assume(
            "Orders fill at the signal bar's close, as you asked (execution.fill 'close', a research shortcut: live, the close is only known once the bar is over)."
        )
    risk = find_risk(text)
    draft.warnings.extend(risk.notes)
    draft.timeframe, draft.bad_timeframe = find_timeframe(text)
    if (
        draft.timeframe is None
        and draft.bad_timeframe is None
        and re.search(r"\bintraday\b|\bday[\s-]?trad", text.work)
    ):
        draft.bad_timeframe = "intraday (no bar size given)"
    if draft.timeframe == "1w":
        ctx.week_bars = 1
    if (
        draft.timeframe is None
        and not draft.bad_timeframe
        and re.search(
            r"\b\d+[\s-]*(?:hours?|hrs?|h)\b[\s-]*(?:rolling\s*)?(?:vwap|sma|ema|wma|ma|moving|rsi|high|low|average|return|change|vol)",
            text.work,
        )
    ):
        draft.timeframe = "1h"
        ctx.assume("The rule is measured in hours, so I used hourly bars (1h).")
    ctx.bar_minutes = _BAR_MINUTES.get(draft.timeframe or "1d")
    draft.trend_filters = find_trend_filters(text, ctx)
    _global_params(text, ctx)
    find_topic(text.work, ctx)

    symbols = draft.symbols
    if _PAIRS.search(text.work) and len(symbols) >= 2:
        return _pairs(text, draft, period, costs, sizing, capital, risk, unsupported)

    otherwise_flat = bool(
        text.take(
            r",?\s*\b(?:and\s+)?(?:otherwise|else)\s*,?\s*(?:stay|be|go|move|remain|sit)?\s*(?:in\s+cash|flat|out(?:\s+of\s+the\s+market)?|in\s+t-?bills)\b"
            r"|,?\s*\b(?:stay|be|go|remain|sit)\s+(?:in\s+cash|flat|out)\s+otherwise\b|,?\s*\bflat\s+otherwise\b"
        )
    )
    _templates(text, draft)
    for role, clause in segments(text.work):
        if role == "filter":
            parsed = parse_conditions(clause, ctx, role="entry")
            draft.filters.extend(parsed.conditions)
        elif role in ("long", "short"):
            parsed = parse_conditions(clause, ctx, role="entry")
            if role == "short":
                draft.short_entry.extend(parsed.conditions)
            else:
                draft.entry.extend(parsed.conditions)
                if parsed.join == "any" and len(parsed.conditions) > 1:
                    draft.entry_join = "any"
        elif role in ("exit", "cover"):
            draft.exit_said = True
            if _REVERSE_CROSS.search(clause) and not _CMP_WORDS.search(
                _REVERSE_CROSS.sub(" ", clause)
            ):
                target = draft.short_exit if role == "cover" else draft.exit
                source = draft.short_entry if role == "cover" else draft.entry
                target.extend(mirror(c) for c in source if c["kind"].startswith("crosses"))
                if target:
                    continue
            parsed = parse_conditions(clause, ctx, role="exit")
            (draft.short_exit if role == "cover" else draft.exit).extend(parsed.conditions)
        elif role == "none" and (
            re.search(r"\b(?:when|if|once|whenever)\b", clause) or CONDITION_HINT.search(clause)
        ):
            if draft.entry:
                ctx.not_understood(clause)
                continue
            parsed = parse_conditions(clause, ctx, role="entry")
            if parsed.conditions:
                draft.entry.extend(parsed.conditions)
                if parsed.join == "any" and len(parsed.conditions) > 1:
                    draft.entry_join = "any"
                assumptions.append(
                    "I read the condition without a buy/sell verb as the entry rule."
                )
        elif role == "none":
            ctx.not_understood(clause)

    # direction
    w = text.work
    only_short = bool(
        re.search(r"\bshort[\s-]*only\b|\bonly (?:go )?short\b|\bshort[\s-]*selling strategy\b", w)
    )
    both = bool(
        re.search(
            r"\blong[\s/-]*(?:and|&|/)[\s-]*short\b|\bboth (?:directions|ways|sides)\b|\balways in the market\b|\bstop[\s-]*and[\s-]*reverse\b|\breverse (?:the )?position\b",
            w,
        )
    )
    if draft.short_entry and not draft.entry:
        only_short = True
    if only_short:
        draft.direction = "short"
        if not draft.entry and draft.short_entry:
            draft.entry, draft.short_entry = draft.short_entry, []
        if not draft.exit and draft.short_exit:
            draft.exit, draft.short_exit = draft.short_exit, []
    elif draft.short_entry or both:
        draft.direction = "both"
        if not draft.short_entry and draft.entry:
            draft.short_entry = [mirror(c) for c in draft.entry]
            assumptions.append("Short entries mirror the long entry rule.")
        if not draft.short_exit and draft.exit:
            draft.short_exit = [mirror(c) for c in draft.exit]
        if not draft.short_exit and not draft.exit:
            draft.exit = list(draft.short_entry)
            draft.short_exit = list(draft.entry)
            assumptions.append(
                "Each side exits when the opposite entry signal fires (always in the market once started)."
            )

    if draft.trend_filters:
        trend = (
            [mirror(c) for c in draft.trend_filters]
            if draft.direction == "short"
            else list(draft.trend_filters)
        )
        # "200-day moving average filter: be long when price is above the 200 dma" says it twice
        draft.filters.extend(c for c in trend if c not in draft.entry and c not in draft.filters)
        if draft.direction == "both":
            ctx.assume(
                "The trend filter gates both long and short entries (filters apply to every entry)."
            )

    # nothing to trade on?
    if not draft.entry:
        if draft.filters and not draft.trend_filters:
            draft.entry, draft.filters = draft.filters, []
        else:
            return _clarify_missing(draft, text, unsupported, hits_exist=bool(symbols))

    _resolve_touch(draft)
    if otherwise_flat and not draft.exit and draft.direction != "both":
        draft.exit = [mirror(c) for c in draft.entry]
        draft.exit_said = True
        assumptions.append(
            "'Otherwise stay in cash' read as: exit when the entry condition no longer holds."
        )

    # symmetric exits for crossovers, only when the user described no exit at all
    if (
        not draft.exit
        and not draft.exit_said
        and not _has_risk_exit(risk)
        and all(c["kind"] == "crosses_above" for c in draft.entry)
        and len(draft.entry) == 1
    ):
        c = draft.entry[0]
        draft.exit = [{"kind": "crosses_below", "left": c["left"], "right": c["right"]}]
        assumptions.append(
            "Exit when the crossover reverses (the opposite cross), since no exit rule was given."
        )

    if not symbols:
        notes = list(draft.warnings) + not_understood_warnings(ctx)
        so_far = _understood_so_far(draft, period, costs, sizing, capital, risk, today)
        return ParseResult(
            "clarify",
            clarification=" ".join(
                [
                    *notes,
                    so_far,
                    "Which symbol should this trade? For example SPY, AAPL, 0700.HK, BTC/USDT, or an offline sample like SAMPLE:AAPL.",
                ]
            ).strip(),
            unsupported=unsupported,
            warnings=notes,
            assumptions=list(ctx.assumptions),
        )
    spec = _assemble(draft, period, costs, sizing, capital, risk, today)
    warnings = list(draft.warnings) + not_understood_warnings(ctx)
    if unsupported:
        warnings.append(
            unsupported_message(unsupported) + " I built the strategy from the parts I support."
        )
    return ParseResult(
        "new", spec=spec, assumptions=assumptions, warnings=warnings, unsupported=unsupported
    )


def _understood_so_far(
    draft: _Draft,
    period: tuple[date | None, date | None] | None,
    costs: CostsFound,
    sizing: dict[str, Any] | None,
    capital: float | None,
    risk: RiskFound,
    today: date,
) -> str:
    """'So far: entry …; exit …' for a clarifying question, so the user sees what is kept."""
    probe = copy.deepcopy(draft)
    probe.symbols = ["SPY"]  # placeholder: only the rules are described
    try:
        spec = StrategySpec.model_validate(
            _assemble(probe, period, costs, sizing, capital, copy.deepcopy(risk), today)
        )
    except ValueError:
        return ""
    rules = explain_rules(spec)
    return ("So far I have: " + " ".join(rules)) if rules else ""


def _clarify_missing(
    draft: _Draft, text: Text, unsupported: list[str], *, hits_exist: bool
) -> ParseResult:
    result = _clarify_question(draft, text, unsupported, hits_exist=hits_exist)
    notes = list(draft.warnings) + not_understood_warnings(draft.ctx)
    result.warnings = notes + result.warnings
    kept = []
    if draft.symbols:
        kept.append(f"So far I have: {', '.join(draft.symbols)}")
        if draft.timeframe:
            kept[-1] += f" on {draft.timeframe} bars"
        kept[-1] += "."
    if (notes or kept) and result.clarification:
        result.clarification = " ".join([*notes, *kept, result.clarification])
    return result


def _clarify_question(
    draft: _Draft, text: Text, unsupported: list[str], *, hits_exist: bool
) -> ParseResult:
    if unsupported:
        return ParseResult(
            "unsupported",
            clarification=unsupported_message(unsupported)
            + " Which supported indicator should I use instead?",
            unsupported=unsupported,
        )
    if draft.bad_timeframe:
        return ParseResult(
            "clarify",
            clarification=f"The timeframe '{draft.bad_timeframe}' is not supported. Which of {', '.join(SUPPORTED_TIMEFRAMES)} should I use, and when should the strategy buy?",
        )
    w = text.work
    if re.search(r"\brsi\b", w):
        q = "At which RSI levels should it buy and sell (for example buy below 30, sell above 70)?"
    elif re.search(r"moving average|\bsma\b|\bema\b|\bma\b", w):
        q = "Which moving averages should cross, or should price be compared to one (for example 'buy when the 50-day SMA crosses above the 200-day SMA')?"
    elif re.search(r"momentum|trend", w):
        q = "What defines the momentum entry — for example 'buy when the 20-day return is above 5%' or 'buy when price closes above the 50-day SMA'?"
    elif re.search(r"mean[\s-]*revers", w):
        q = "What is the mean-reversion trigger — for example 'buy when the close is below the lower Bollinger band (20, 2), sell at the middle band'?"
    elif re.search(r"breakout", w):
        q = "Which breakout should trigger the entry — for example 'buy when the close breaks above the 20-day high, sell below the 10-day low'?"
    elif hits_exist:
        q = "When should the strategy buy, and when should it sell? For example: 'buy when RSI(14) is below 30, sell when it is above 70'."
    else:
        q = "Which symbol should I trade, and when should it buy and sell? For example: 'Buy SPY when the 50-day SMA crosses above the 200-day SMA, sell on the cross back'."
    return ParseResult("clarify", clarification=q, unsupported=unsupported)


def _templates(text: Text, draft: _Draft) -> None:
    """Named strategies: golden/death cross, 'N/M crossover', MACD crossover, Bollinger reversion, Donchian breakout, RSI reversion."""
    ctx = draft.ctx
    w = text.work
    reg = ctx.registry

    def ma(window: int) -> Operand:
        return {
            "kind": "indicator",
            "id": reg.add(ctx.ma_kind, f"{ctx.ma_kind}_{window}", window=window),
        }

    has_conditions = bool(
        re.search(
            r"\bcross(?:es|ed)?\s+(?:above|below|over|under)|\babove\b|\bbelow\b|[<>]|\bunder\b", w
        )
    )
    m = re.search(
        r"\brsi\s*(?:\(\s*(\d+)\s*\)|(\d+)\s+)?\s*(?:of\s*|at\s*)?(\d{1,2}(?:\.\d+)?)\s*/\s*(\d{1,2}(?:\.\d+)?)\b",
        w,
    )
    if m and not has_conditions:
        window = int(m.group(1) or m.group(2) or 14)
        low, high = sorted((float(m.group(3)), float(m.group(4))))
        rsi: Operand = {
            "kind": "indicator",
            "id": reg.add("rsi", f"rsi_{window}", window=window),
        }
        draft.entry.append(
            {"kind": "compare", "left": rsi, "op": "<", "right": {"kind": "const", "value": low}}
        )
        draft.exit.append(
            {"kind": "compare", "left": rsi, "op": ">", "right": {"kind": "const", "value": high}}
        )
        ctx.assume(
            f"RSI {low:g}/{high:g} read as: buy when RSI({window}) is below {low:g}, sell when it is above {high:g}."
        )
        text.take(re.escape(m.group(0)))
        return
    if re.search(r"golden[\s-]*cross", w):
        if ctx.ma_pair is None:
            ctx.ma_pair = (50, 200)
        fast, slow = ma(ctx.ma_pair[0]), ma(ctx.ma_pair[1])
        draft.entry.append({"kind": "crosses_above", "left": fast, "right": slow})
        if re.search(r"death[\s-]*cross", w) or True:
            draft.exit.append({"kind": "crosses_below", "left": fast, "right": slow})
        text.take(r"golden[\s-]*cross|death[\s-]*cross")
        return
    if (
        ctx.ma_pair is None
        and re.search(r"\b(?:sma|ema|wma|ma|moving averages?)\s*cross(?:over|ing)?\b", w)
        and not has_conditions
    ):
        ctx.ma_pair = (20, 50)
        ctx.assume(
            "You did not give the moving-average lengths, so I used 20 (fast) and 50 (slow) bars."
        )
    if (
        ctx.ma_pair is not None
        and re.search(r"cross(?:over|ing)?\b|\bcrosses\b", w)
        and not re.search(r"cross(?:es|ed)?\s+(?:above|over|below|under)", w)
    ):
        fast, slow = ma(ctx.ma_pair[0]), ma(ctx.ma_pair[1])
        draft.entry.append({"kind": "crosses_above", "left": fast, "right": slow})
        draft.exit.append({"kind": "crosses_below", "left": fast, "right": slow})
        text.take(r"cross(?:over|ing)?\b|\bcrosses\b")
        return
    if re.search(
        r"macd\s*(?:\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\))?\s*(?:signal\s*)?(?:line\s*)?cross(?:over|ing)?\b",
        w,
    ) and not re.search(r"cross(?:es|ed)?\s+(?:above|over|below|under)", w):
        m_fast, m_slow, m_signal = ctx.macd
        ident = reg.add("macd", "macd", fast=m_fast, slow=m_slow, signal=m_signal)
        line: Operand = {"kind": "indicator", "id": ident}
        sig: Operand = {"kind": "indicator", "id": ident, "output": "signal"}
        draft.entry.append({"kind": "crosses_above", "left": line, "right": sig})
        draft.exit.append({"kind": "crosses_below", "left": line, "right": sig})
        text.take(r"macd\s*(?:signal\s*)?(?:line\s*)?cross(?:over|ing)?\b")
        return
    if (
        re.search(r"bollinger", w)
        and re.search(r"mean[\s-]*revers|revert|bounce|fade", w)
        and not has_conditions
    ):
        window, num_std = ctx.bb
        ident = reg.add("bbands", f"bb_{window}", window=window, num_std=num_std)
        close: Operand = {"kind": "price", "field": "close"}
        draft.entry.append(
            {
                "kind": "compare",
                "left": close,
                "op": "<",
                "right": {"kind": "indicator", "id": ident, "output": "lower"},
            }
        )
        draft.exit.append(
            {
                "kind": "compare",
                "left": close,
                "op": ">",
                "right": {"kind": "indicator", "id": ident, "output": "middle"},
            }
        )
        ctx.assume(
            "Bollinger mean reversion read as: buy when the close is below the lower band, sell when it is back above the middle band."
        )
        return
    m = re.search(
        r"(?:(\d+)[\s-]*(?:day|bar|period|week)?s?\s*)?(?:donchian|channel|turtle)(?:\s*channel)?\s*breakout|\bturtle\b|breakout\s*(?:of|above)?\s*(?:the\s*)?(\d+)[\s-]*(?:day|bar)s?"
        r"|(\d+)[\s-]*(?:day|bar|session)s?[\s-]*(?:high|channel)\s*breakout",
        w,
    )
    if m and not has_conditions:
        window = int(m.group(1) or m.group(2) or m.group(3) or 20)
        exit_window = max(window // 2, 1)
        up = reg.add("donchian", f"donchian_{window}", window=window)
        down = reg.add("donchian", f"donchian_{exit_window}", window=exit_window)
        close = {"kind": "price", "field": "close"}
        draft.entry.append(
            {
                "kind": "compare",
                "left": close,
                "op": ">",
                "right": {"kind": "indicator", "id": up, "output": "upper"},
            }
        )
        draft.exit.append(
            {
                "kind": "compare",
                "left": close,
                "op": "<",
                "right": {"kind": "indicator", "id": down, "output": "lower"},
            }
        )
        ctx.assume(
            f"Channel breakout read as: buy when the close breaks above the prior {window}-bar high, sell below the prior {exit_window}-bar low."
        )


def _resolve_touch(draft: _Draft) -> None:
    for group, role in ((draft.exit, "exit"), (draft.entry, "entry"), (draft.short_exit, "exit")):
        for cond in group:
            if cond.pop("touch", False):
                ref = next(
                    (
                        c
                        for c in draft.entry
                        if c.get("kind") == "compare" and c.get("left") == cond["left"]
                    ),
                    None,
                )
                if ref is not None and role == "exit":
                    cond["op"] = ">=" if ref["op"] in ("<", "<=") else "<="


def _assemble(
    draft: _Draft,
    period: tuple[date | None, date | None] | None,
    costs: CostsFound,
    sizing: dict[str, Any] | None,
    capital: float | None,
    risk: RiskFound,
    today: date,
) -> dict[str, Any]:
    symbols = draft.symbols
    markets = {market_of(s) for s in symbols}
    market = markets.pop() if len(markets) == 1 else "us_equity"
    if len({market_of(s) for s in symbols}) > 1:
        draft.warnings.append(
            f"The symbols {symbols} trade on different markets; one strategy uses one market calendar, so I used {market}. Split them into separate strategies for exact calendars."
        )
    spec: dict[str, Any] = {
        "schema_version": "1",
        "name": "strategy",
        "universe": {
            "symbols": symbols,
            "market": market,
            "timeframe": draft.timeframe or "1d",
            **({"weights": draft.weights} if draft.weights else {}),
        },
        "indicators": draft.ctx.registry.items,
        "direction": draft.direction,
        "entry": _join(draft.entry, draft.entry_join),
    }
    if draft.timeframe is None:
        draft.ctx.assume("No bar size given: daily bars (1d).")
    if draft.bad_timeframe:
        draft.warnings.append(
            f"The timeframe '{draft.bad_timeframe}' is not supported (supported: {', '.join(SUPPORTED_TIMEFRAMES)}); I used daily bars. Tell me which supported timeframe you want."
        )
    if draft.exit:
        spec["exit"] = _join(draft.exit, draft.exit_join)
    if draft.direction == "both":
        spec["short_entry"] = _join(draft.short_entry, "all")
        if draft.short_exit:
            spec["short_exit"] = _join(draft.short_exit, "any")
    if draft.filters:
        spec["filters"] = draft.filters
    if draft.scale_in:
        spec["scale_in"] = draft.scale_in
    if draft.fill:
        spec["execution"] = {"fill": draft.fill}
    if draft.pair:
        spec["pair"] = {"leg_a": draft.pair[0], "leg_b": draft.pair[1]}
    if period:
        spec["period"] = {
            k: v.isoformat() for k, v in (("start", period[0]), ("end", period[1])) if v is not None
        }
    if costs.as_dict():
        spec["costs"] = costs.as_dict()
    if sizing:
        spec["sizing"] = sizing
    if capital:
        spec["initial_capital"] = capital
    if draft.benchmark:
        spec["benchmark"] = {"symbol": draft.benchmark}
    spec["risk"] = _risk_dict({}, risk)
    spec["name"] = auto_name(spec)
    return spec


_WEIGHTS = re.compile(
    r"(?:with\s+|at\s+|in\s+)?(?:weights?\s*(?:of\s*)?)?\(?\s*(\d+(?:\.\d+)?(?:\s*%?\s*/\s*\d+(?:\.\d+)?)+)\s*%?\s*\)?\s*(?:weights?|weighted|split|allocation)?"
)


def _weights(text: Text, draft: _Draft) -> None:
    """'40/30/30 weights' for a basket: fractions in the order the symbols were named."""
    for m in _WEIGHTS.finditer(text.work):
        phrase = m.group(0)
        if not re.search(r"weight|split|allocation", phrase):
            continue
        values = [float(v) for v in re.findall(r"\d+(?:\.\d+)?", m.group(1))]
        text.work = text.work[: m.start()] + " " * len(phrase) + text.work[m.end() :]
        if len(values) != len(draft.symbols):
            draft.warnings.append(
                f"I did not understand: '{phrase.strip()}' — {len(values)} weights for {len(draft.symbols)} symbols; I used equal weights."
            )
            return
        total = sum(values)
        scale = 100.0 if total > 1.0 + 1e-9 else 1.0
        if total / scale > 1.0 + 1e-9:
            draft.warnings.append(
                f"I did not understand: '{phrase.strip()}' — the weights add up to more than 100%; I used equal weights."
            )
            return
        draft.weights = {
            sym: round(v / scale, 6) for sym, v in zip(draft.symbols, values, strict=True)
        }
        return


def _has_risk_exit(risk: RiskFound) -> bool:
    return bool(
        risk.stop_pct is not None
        or risk.atr_stop
        or risk.trailing_pct is not None
        or risk.take_profit
        or risk.max_holding_bars
    )


_REVERSE_CROSS = re.compile(
    r"\b(?:on\s*)?(?:the\s*)?(?:reverse|opposite|reversed|inverse)\s*(?:cross(?:over|ing)?|signal)\b"
    r"|\bcross(?:es|ed|ing)?\s*back\b(?!\s*(?:above|below|over|under))|\bwhen\s*(?:it|the cross(?:over)?)\s*reverses\b|\bdeath\s*cross\b"
)
_CMP_WORDS = re.compile(r"\b(?:above|below|over|under)\b|[<>]|\d")


def _join(conds: list[Cond], join: str) -> Cond:
    unique: list[Cond] = []
    for c in conds:
        if c not in unique:
            unique.append(c)
    conds = unique
    if len(conds) == 1:
        return conds[0]
    return {"kind": join, "conditions": conds}


def _risk_dict(base: dict[str, Any], risk: RiskFound) -> dict[str, Any]:
    out = copy.deepcopy(base)
    if risk.remove_stop:
        out.pop("stop_loss", None)
    if risk.remove_trailing:
        out.pop("trailing_stop", None)
    if risk.remove_take_profit:
        out.pop("take_profit", None)
    if risk.stop_pct is not None:
        out["stop_loss"] = {"kind": "percent", "percent": risk.stop_pct}
    if risk.atr_stop is not None:
        out["stop_loss"] = {"kind": "atr", "multiple": risk.atr_stop[0], "window": risk.atr_stop[1]}
    if risk.trailing_pct is not None:
        out["trailing_stop"] = {"percent": risk.trailing_pct}
    if risk.take_profit:
        stages = sorted(risk.take_profit)
        out["take_profit"] = [
            {"gain_pct": gain, "fraction": round(frac, 6)} for gain, frac in stages
        ]
    if risk.max_holding_bars is not None:
        out["max_holding_bars"] = risk.max_holding_bars
    return out


def auto_name(spec: dict[str, Any]) -> str:
    """A readable name built from the spec's own fields (never from free user text)."""
    symbols = spec["universe"]["symbols"]
    kinds: list[str] = []
    for ind in spec.get("indicators", []):
        label = (
            ind["kind"].upper()
            if ind["kind"] in ("sma", "ema", "wma", "rsi", "macd", "atr", "adx", "roc", "vwap")
            else ind["kind"].replace("_", " ")
        )
        window = ind.get("window")
        tag = (
            f"{label}{window}" if window and ind["kind"] in ("sma", "ema", "wma", "rsi") else label
        )
        if tag not in kinds:
            kinds.append(tag)
    sym = (
        "/".join(symbols[:2]) + ("…" if len(symbols) > 2 else "")
        if spec.get("pair")
        else ", ".join(symbols[:3])
    )
    if spec.get("pair"):
        return f"{sym} pairs spread z-score"[:120]
    desc = " ".join(kinds[:4]) or "price rule"
    return f"{sym} {desc} {spec['universe'].get('timeframe', '1d')}"[:120]


# --------------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------------


def _pairs(
    text: Text,
    draft: _Draft,
    period: tuple[date | None, date | None] | None,
    costs: CostsFound,
    sizing: dict[str, Any] | None,
    capital: float | None,
    risk: RiskFound,
    unsupported: list[str],
) -> ParseResult:
    ctx = draft.ctx
    a, b = draft.symbols[0], draft.symbols[1]
    if len(draft.symbols) > 2:
        draft.warnings.append(
            f"A pairs trade has two legs; I used {a} and {b} and ignored {draft.symbols[2:]}."
        )
    w = text.work
    m = re.search(
        r"(\d+)[\s-]*(?:day|bar|period|hour)s?\s*(?:rolling\s*)?(?:window|lookback|look-back|z[\s-]*score|spread)|(?:window|lookback|look-back)\s*(?:of\s*)?(\d+)",
        w,
    )
    window = int(m.group(1) or m.group(2)) if m else 60
    if not m:
        ctx.assume(
            "Spread z-score window: 60 bars (hedge ratio by rolling OLS over the same window)."
        )
    nums = [
        float(x)
        for x in re.findall(
            r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:sd|std|sigma|standard deviations?|z)?\b",
            re.sub(r"\d+[\s-]*(?:day|bar|period|hour)s?", " ", w),
        )
    ]
    m_entry = re.search(
        r"(?:enter|entry|open|trade|beyond|above|exceeds?|at|±|\+/-|plus or minus)\s*(?:at\s*|of\s*|when\s*(?:the\s*)?(?:z[\s-]*score|spread)\s*(?:is\s*)?(?:above|beyond|over)?\s*)?[±+-]?\s*(\d+(?:\.\d+)?)",
        w,
    )
    entry_z = float(m_entry.group(1)) if m_entry else (nums[0] if nums else 2.0)
    m_exit = re.search(
        r"(?:exit|close|revert(?:s)? to|back to|cross(?:es)?|out)\s*(?:at|when|below|inside|within)?\s*(?:the\s*)?(?:z[\s-]*score\s*)?(?:is\s*)?(?:below|inside|within|of)?\s*[±+-]?\s*(\d+(?:\.\d+)?|zero|the mean|mean)",
        w,
    )
    exit_z = 0.0
    if m_exit and m_exit.group(1) not in ("zero", "the mean", "mean"):
        exit_z = float(m_exit.group(1))
    if not m_entry:
        ctx.assume(f"Enter when the spread z-score is beyond ±{entry_z:g}.")
    if not m_exit:
        ctx.assume("Exit when the spread z-score reverts to 0.")
    if entry_z <= 0 or entry_z > 10:
        entry_z = 2.0
    if exit_z >= entry_z:
        exit_z = 0.0
    ident = ctx.registry.add("spread_zscore", "spread_z", leg_a=a, leg_b=b, window=window)
    z: Operand = {"kind": "indicator", "id": ident, "output": "zscore"}

    def c(op: str, value: float) -> Cond:
        return {"kind": "compare", "left": z, "op": op, "right": {"kind": "const", "value": value}}

    draft.symbols = [a, b]
    draft.pair = (a, b)
    long_only = bool(
        re.search(r"\b(?:buy|long|go long)\s*(?:the\s*)?spread\b", w)
        and not re.search(r"\bshort|\bsell\s*(?:the\s*)?spread\b|\bboth\b", w)
    )
    draft.direction = "long" if long_only else "both"
    draft.entry = [c("<", -entry_z)]
    draft.exit = [c(">=", -exit_z)]
    if not long_only:
        draft.short_entry = [c(">", entry_z)]
        draft.short_exit = [c("<=", exit_z)]
    spec = _assemble(draft, period, costs, sizing, capital, risk, datetime.now(UTC).date())
    return ParseResult(
        "new",
        spec=spec,
        assumptions=ctx.assumptions,
        warnings=draft.warnings,
        unsupported=unsupported,
    )


# --------------------------------------------------------------------------------------------
# Edits of the current spec
# --------------------------------------------------------------------------------------------


def _looks_like_edit(work: str, original: str) -> bool:
    if re.search(r"\bnew strategy\b|\bstart over\b|\bfrom scratch\b|\banother strategy\b", work):
        return False
    if _EDIT_WORDS.search(work):
        return True
    if not find_symbols(Text(original)):
        return True
    # short messages that only adjust a parameter ("5% stop", "hourly", "since 2015")
    return len(work.split()) <= 8 and not ACTION.search(work)


def _modify(
    text: Text, current: dict[str, Any], today: date, unsupported: list[str]
) -> ParseResult:
    spec = copy.deepcopy(current)
    notes: list[str] = []
    warnings: list[str] = []
    w = text.work

    hits = find_symbols(text)
    bench_pos = find_benchmark_positions(text.original)
    new_syms: list[str] = []
    removing = {
        m.group(1).upper()
        for m in re.finditer(
            r"\b(?:remove|drop|exclude|without)\s+([a-z0-9^./:-]+)", text.original, re.IGNORECASE
        )
    }
    for h in hits:
        if h.symbol in removing:
            continue
        if any(0 <= h.start - p <= 2 for p in bench_pos):
            spec.setdefault("benchmark", {})["symbol"] = h.symbol
        else:
            new_syms.append(h.symbol)
    text.work = _strip_symbols(text.work, [h.symbol for h in hits])
    if new_syms and not spec.get("pair"):
        if re.search(r"\badd\b|\balso\b", w):
            merged = list(spec["universe"]["symbols"])
            merged += [s for s in new_syms if s not in merged]
            spec["universe"]["symbols"] = merged
        else:
            spec["universe"]["symbols"] = new_syms
        markets = {market_of(s) for s in spec["universe"]["symbols"]}
        if len(markets) == 1:
            spec["universe"]["market"] = markets.pop()

    period = find_period(text, today)
    if period:
        spec["period"] = {
            k: v.isoformat() for k, v in (("start", period[0]), ("end", period[1])) if v is not None
        }
    costs = find_costs(text)
    if costs.as_dict():
        spec["costs"] = {**spec.get("costs", {}), **costs.as_dict()}
    sizing = find_sizing(text)
    if sizing:
        spec["sizing"] = sizing
    capital = find_capital(text)
    if capital:
        spec["initial_capital"] = capital
    risk = find_risk(text)
    warnings.extend(risk.notes)
    if risk.any():
        spec["risk"] = _risk_dict(spec.get("risk", {}), risk)
    tf, bad_tf = find_timeframe(text)
    if tf:
        spec["universe"]["timeframe"] = tf
    elif bad_tf:
        warnings.append(
            f"The timeframe '{bad_tf}' is not supported (supported: {', '.join(SUPPORTED_TIMEFRAMES)}); I kept {spec['universe'].get('timeframe', '1d')}."
        )
    scale_in = find_scale_in(text)
    if scale_in:
        spec["scale_in"] = scale_in
    fill = find_fill(text)
    if fill:
        spec["execution"] = {**spec.get("execution", {}), "fill": fill}
    warnings.extend(not_expressible(text))
    edit_filters(text, spec, notes)
    edit_removals(text, spec, notes)
    w = text.work

    inds: list[dict[str, Any]] = spec.get("indicators", [])
    mas = [
        i
        for i in inds
        if i["kind"] in ("sma", "ema", "wma") and i.get("source", "close") == "close"
    ]
    # MA kind swap: "use EMA instead"
    m = re.search(r"\b(ema|sma|wma|exponential|simple|weighted)\b", w)
    if m and mas and re.search(r"instead|switch|use|change|make|replace", w):
        kind = {"exponential": "ema", "simple": "sma", "weighted": "wma"}.get(
            m.group(1), m.group(1)
        )
        for i in mas:
            i["kind"] = kind
    # MA windows: "change to 10/30"
    m = re.search(r"\b(\d{1,3})\s*(?:/|and|&|,)\s*(\d{1,3})\b", w)
    if m and len(mas) >= 2 and not re.search(r"%", w[m.start() : m.end() + 2]):
        fast, slow = sorted((int(m.group(1)), int(m.group(2))))
        ordered = sorted(mas, key=lambda i: int(i["window"]))
        ordered[0]["window"], ordered[-1]["window"] = fast, slow
    elif len(mas) == 1:
        m = re.search(
            r"(\d{1,4})[\s-]*(?:day|bar|period)?s?\s*(?:sma|ema|wma|ma|moving average)|(?:sma|ema|wma|ma|moving average)\s*(?:to|of|=)?\s*(\d{1,4})",
            w,
        )
        if m:
            mas[0]["window"] = int(m.group(1) or m.group(2))
    # single-indicator windows: "rsi 2", "rsi period 10"
    for kind in ("rsi", "atr", "adx", "zscore", "roc"):
        m = re.search(
            rf"{kind}\s*(?:period|window|length|lookback)?\s*(?:to|of|=)?\s*\(?(\d{{1,4}})\)?|(\d{{1,4}})[\s-]*(?:day|bar|period)\s*{kind}",
            w,
        )
        targets = [i for i in inds if i["kind"] == kind]
        if (
            m
            and len(targets) == 1
            and not re.search(rf"{kind}\s*(?:is\s*)?(?:above|below|over|under|>|<)", w)
        ):
            targets[0]["window"] = int(m.group(1) or m.group(2))
    # rules: "buy when RSI below 25" replaces the matching threshold, otherwise the whole rule
    also = bool(re.search(r"\b(?:also|add|and also)\b", w))
    unread: list[str] = []
    rules_found = False
    for role, key in (
        ("long", "entry"),
        ("exit", "exit"),
        ("short", "short_entry"),
        ("cover", "short_exit"),
    ):
        new_conds: list[Cond] = []
        ctx = Context(IndicatorRegistry([copy.deepcopy(i) for i in inds]))
        for seg_role, clause in segments(w):
            if seg_role == role and clause.strip():
                parsed = parse_conditions(
                    clause, ctx, role="exit" if role in ("exit", "cover") else "entry"
                )
                new_conds.extend(parsed.conditions)
        unread.extend(not_understood_warnings(ctx))
        if not new_conds:
            continue
        rules_found = True
        for c in new_conds:
            if c.pop("touch", False) and spec.get("direction") == "short" and role == "exit":
                c["op"] = "<="  # a short exits when the price falls back to the level
        merge_indicators(spec, ctx)
        inds = spec.get("indicators", [])
        if spec.get(key) is not None and all(_replace_threshold(spec, key, c) for c in new_conds):
            continue
        joined = _join(new_conds, "all")
        if spec.get(key) is not None and also:
            spec[key] = {
                "kind": "all" if key.endswith("entry") else "any",
                "conditions": [spec[key], joined],
            }
        else:
            spec[key] = joined
    # direction
    flip = re.search(
        r"\b(?:go|make it|trade it|switch to|change to|flip (?:it )?to|turn it into a)\s*(?:a\s*)?short(?:s|ing)?\b(?:\s*(?:instead|only|side))?|\bshort (?:it )?instead\b|\bflip (?:the )?direction\b",
        w,
    )
    if flip and spec.get("direction", "long") == "long":
        flip_direction(spec, "short", warnings)
    elif (
        re.search(
            r"\b(?:go|make it|trade it|switch to|change to|flip (?:it )?to)\s*long\b|\blong instead\b",
            w,
        )
        and spec.get("direction") == "short"
    ):
        flip_direction(spec, "long", warnings)
    elif re.search(r"\bshort[\s-]*only\b|\bonly short\b", w):
        spec["direction"] = "short"
        spec.pop("short_entry", None)
        spec.pop("short_exit", None)
    elif re.search(r"\blong[\s-]*only\b|\bonly long\b|\bno shorts?\b", w):
        spec["direction"] = "long"
        spec.pop("short_entry", None)
        spec.pop("short_exit", None)
    elif (
        re.search(r"\b(?:long and short|both directions|allow shorts?|add shorts?|also short)\b", w)
        and spec.get("direction") == "long"
    ):
        spec["direction"] = "both"
        spec["short_entry"] = mirror(spec["entry"])
        if spec.get("exit"):
            spec["short_exit"] = mirror(spec["exit"])
        notes.append("Short entries mirror the long entry rule.")
    if unsupported:
        warnings.append(unsupported_message(unsupported))
    warnings.extend(u for u in unread if u not in warnings)
    warnings.extend(leftover_edit_words(w, unread))
    if spec == current and not warnings:
        quoted = " ".join(text.original.split())[:200]
        read_something = rules_found or text.work != _strip_symbols(
            Text(text.original).work, [h.symbol for h in hits]
        )
        warnings.append(
            f"The strategy already does what '{quoted}' asks: nothing changed."
            if read_something
            else f"I did not understand: '{quoted}' as a change to the current strategy."
        )
    spec = _rename_ids(spec)
    spec["name"] = (
        auto_name(spec)
        if current.get("name", "").startswith(tuple(current["universe"]["symbols"][:1]))
        else current.get("name", auto_name(spec))
    )
    return ParseResult(
        "modify", spec=spec, assumptions=notes, warnings=warnings, unsupported=unsupported
    )


def _replace_threshold(spec: dict[str, Any], key: str, new: Cond) -> bool:
    """Replace a compare on the same left operand (same direction) with the new one."""
    if new.get("kind") != "compare":
        return False

    def walk(cond: dict[str, Any]) -> bool:
        if (
            cond.get("kind") == "compare"
            and cond["left"] == new["left"]
            and _same_side(cond["op"], new["op"])
        ):
            cond["op"], cond["right"] = new["op"], new["right"]
            return True
        return any(walk(c) for c in cond.get("conditions", [])) or (
            "condition" in cond and walk(cond["condition"])
        )

    target = spec.get(key)
    return isinstance(target, dict) and walk(target)


def _same_side(a: str, b: str) -> bool:
    return (a in (">", ">=")) == (b in (">", ">="))


_RENAMEABLE = ("sma", "ema", "wma", "rsi", "atr", "adx", "roc", "zscore", "vol", "donchian")


def _rename_ids(spec: dict[str, Any]) -> dict[str, Any]:
    """Keep readable ids honest after an edit: 'sma_50' whose window became 10 -> 'sma_10'."""

    renames: dict[str, str] = {}
    taken = {str(i["id"]) for i in spec.get("indicators", [])}
    for ind in spec.get("indicators", []):
        ident = str(ind["id"])
        m = re.fullmatch(r"([a-z]+)_(\d+)", ident)
        window = ind.get("window")
        stale = m is not None and (m.group(1) != ind["kind"] or int(m.group(2)) != window)
        if m and window is not None and stale and m.group(1) in _RENAMEABLE:
            prefix = ind["kind"] if m.group(1) in ("sma", "ema", "wma") else m.group(1)
            new = f"{prefix}_{window}"
            if new not in taken:
                renames[ident] = new
                taken.discard(ident)
                taken.add(new)
    if not renames:
        return spec
    text = json.dumps(spec)
    for old, new in renames.items():
        text = text.replace(f'"id": "{old}"', f'"id": "{new}"')
    out: dict[str, Any] = json.loads(text)
    return out
