"""Operands and conditions from plain language: "the 14-day RSI drops below 30",
"the 10-day SMA crosses above the 30-day SMA", "3 down days in a row".

Conditions are built as plain dicts in StrategySpec shape; indicators are registered on the
draft, which gives them ids and de-duplicates them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Cond = dict[str, Any]
Operand = dict[str, Any]

_W = r"(?:(\d+)[\s-]*(d|day|days|bar|bars|period|periods|week|weeks|wk|hour|hours|h|session|sessions|candle|candles)?[\s-]*)?"
_AFTER = r"(?:\s*\(\s*(\d+)\s*\)|[\s-]*(?:length|period|window)?\s*(\d+)(?![\d.]*\s*(?:%|/)))?"


@dataclass
class IndicatorRegistry:
    """Indicators of a draft, keyed by their parameters; ids are readable and unique."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, base_id: str, **params: Any) -> str:
        params = {k: v for k, v in params.items() if v is not None}
        for item in self.items:
            if (
                item["kind"] == kind
                and {k: v for k, v in item.items() if k not in ("id", "kind")} == params
            ):
                return str(item["id"])
        ident = base_id
        taken = {str(i["id"]) for i in self.items}
        n = 2
        while ident in taken:
            ident = f"{base_id}_{n}"
            n += 1
        self.items.append({"id": ident, "kind": kind, **params})
        return ident


@dataclass
class Context:
    """What the condition parser knows about the whole message."""

    registry: IndicatorRegistry
    ma_kind: str = "sma"
    ma_pair: tuple[int, int] | None = None
    bb: tuple[int, float] = (20, 2.0)
    bb_explicit: bool = False
    macd: tuple[int, int, int] = (12, 26, 9)
    stoch: tuple[int, int, int] = (14, 3, 3)
    week_bars: int = 5
    bar_minutes: int | None = None
    assumptions: list[str] = field(default_factory=list)
    last_left: Operand | None = None
    last_right: Operand | None = None
    unparsed: list[str] = field(default_factory=list)
    not_supported: list[str] = field(default_factory=list)
    topic: Operand | None = None  # the one oscillator a message talks about ("RSI strategy")

    def not_understood(self, piece: str) -> None:
        clean = " ".join(piece.split()).strip(" ,.;:")
        if clean and has_content(clean) and clean not in self.unparsed:
            self.unparsed.append(clean)

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)


def _window(num: str | None, unit: str | None, ctx: Context) -> int | None:
    if not num:
        return None
    n = int(num)
    if unit and unit.startswith(("week", "wk")):
        n *= ctx.week_bars
    elif unit and unit.startswith("h") and ctx.bar_minutes and ctx.bar_minutes != 60:
        bars = max(1, round(n * 60 / ctx.bar_minutes))
        ctx.assume(f"{n} hours on {ctx.bar_minutes}-minute bars is {bars} bars.")
        n = bars
    return n


# words that carry no rule on their own (a leftover made only of these is not reported)
_FILLER_WORDS = """
    hi hello hey thanks thank cheers great cool test tested testing see check line lines
    basket baskets
    a an the and or but then also only just please i we you me my our it its this that these
    those is are be been being was were will would should could can to of on in at by for from
    with as into onto when if once whenever while after before until so than per each every any
    all strategy strategies trade trades trading system rule rules setup signal signals position
    positions want like build create make give show test backtest run using use simple basic
    classic bar bars daily day days candle candles chart session sessions data price prices long
    longs short shorts buy buys sell sells entry entries exit exits enter go get out back again
    new fresh there here now same other one both either goes turns gets moves stays remains has
    have had up down mean reversion momentum trend following breakout swing crossover contrarian
    idea approach style level levels value risk sized size sizing weighted capital equity
    account portfolio bet amount i'd i'm i'll let's lets no wait yes ok okay hmm actually rather
    instead hkd usd usdt eur flat otherwise put start starting dip dips happens happen occurs
    occur fires fire crypto stock stocks etf etfs equities coin coins without version scale
    scaling tranche tranches pyramid pyramiding
"""
_FILLER = frozenset(_FILLER_WORDS.split())
# indicator vocabulary: a leftover made only of these (and numbers) was read by a template
_VOCAB = re.compile(
    r"^(?:(?:sma|ema|wma|ma|dma|rsi|atr|adx|roc|macd|vwap)\d*|smas|emas|mas|moving|averages?|exponential|simple|weighted|"
    r"bollinger|bands?|donchian|channels?|turtle|dual|golden|death|cross|crosses|crossover|crossovers|"
    r"std|sd|sigma|standard|deviations?|stoch|stochastic|zscore|volatility|vol|period|periods|length|window|"
    r"high|highs|low|lows|minute|minutes|hour|hours|hourly|week|weeks|weekly|month|months)$"
)


def has_content(text: str) -> bool:
    """True when a leftover piece holds a word that carries meaning (not filler, not a number,
    not indicator vocabulary a template already read)."""
    for word in re.findall(r"[a-z][a-z0-9'%+-]*", text.lower()):
        w = re.sub(r"'s$", "", word).strip("'%+-")
        if len(w) > 1 and w not in _FILLER and not _VOCAB.match(w):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Operands
# --------------------------------------------------------------------------------------------


@dataclass
class OperandHit:
    start: int
    end: int
    build: Callable[[re.Match[str], Context], Operand | None]
    match: re.Match[str]


def _ind(ident: str, output: str | None = None, shift: int = 0) -> Operand:
    op: Operand = {"kind": "indicator", "id": ident}
    if output:
        op["output"] = output
    if shift:
        op["shift"] = shift
    return op


def _price(fld: str = "close", shift: int = 0) -> Operand:
    op: Operand = {"kind": "price", "field": fld}
    if shift:
        op["shift"] = shift
    return op


def _ma(m: re.Match[str], ctx: Context) -> Operand | None:
    num, unit, word, p1, p2 = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    kind = {
        "sma": "sma",
        "simple moving average": "sma",
        "ema": "ema",
        "exponential moving average": "ema",
        "wma": "wma",
        "weighted moving average": "wma",
    }.get(word, ctx.ma_kind)
    window = _window(num, unit, ctx) or (int(p1 or p2) if (p1 or p2) else None)
    if window is None:
        return None
    return _ind(ctx.registry.add(kind, f"{kind}_{window}", window=window))


def _fast_slow(m: re.Match[str], ctx: Context) -> Operand | None:
    which = m.group(1)
    word = m.group(2)
    kind = {"sma": "sma", "ema": "ema", "wma": "wma"}.get(word, ctx.ma_kind)
    if ctx.ma_pair is None:
        ctx.ma_pair = (20, 50)
        ctx.assume(
            "You did not give the moving-average lengths, so I used 20 (fast) and 50 (slow) bars."
        )
    window = ctx.ma_pair[0] if which == "fast" else ctx.ma_pair[1]
    return _ind(ctx.registry.add(kind, f"{kind}_{window}", window=window))


def _rsi(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or int(m.group(3) or m.group(4) or 14)
    return _ind(ctx.registry.add("rsi", f"rsi_{window}", window=window))


def _macd(m: re.Match[str], ctx: Context) -> Operand:
    if m.group(1):
        ctx.macd = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    part = m.group(4) or ""
    output = "signal" if "signal" in part else "hist" if "hist" in part else None
    return _macd_operand(ctx, output)


def _macd_operand(ctx: Context, output: str | None) -> Operand:
    fast, slow, signal = ctx.macd
    ident = ctx.registry.add("macd", "macd", fast=fast, slow=slow, signal=signal)
    return _ind(ident, output)


def _signal_line(m: re.Match[str], ctx: Context) -> Operand:
    return _macd_operand(ctx, "signal")


def _histogram(m: re.Match[str], ctx: Context) -> Operand:
    return _macd_operand(ctx, "hist")


def _bb(m: re.Match[str], ctx: Context) -> Operand:
    part = m.group(1)
    output = {"upper": "upper", "lower": "lower", "middle": "middle", "mid": "middle"}[part]
    return _bb_operand(ctx, output)


def _bb_operand(ctx: Context, output: str) -> Operand:
    window, num_std = ctx.bb
    ident = ctx.registry.add("bbands", f"bb_{window}", window=window, num_std=num_std)
    return _ind(ident, output)


def _percent_b(m: re.Match[str], ctx: Context) -> Operand:
    return _bb_operand(ctx, "percent_b")


def _stoch(m: re.Match[str], ctx: Context) -> Operand:
    k, smooth, d = ctx.stoch
    part = (m.group(1) or "k").strip("% ")
    ident = ctx.registry.add("stoch", "stoch", k_window=k, smooth_k=smooth, d_window=d)
    return _ind(ident, "d" if part == "d" else "k")


def _adx(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or int(m.group(3) or m.group(4) or 14)
    return _ind(ctx.registry.add("adx", f"adx_{window}", window=window), "adx")


def _di(m: re.Match[str], ctx: Context) -> Operand:
    output = "plus_di" if m.group(1) in ("+", "plus", "positive") else "minus_di"
    return _ind(ctx.registry.add("adx", "adx_14", window=14), output)


def _atr(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or int(m.group(3) or m.group(4) or 14)
    return _ind(ctx.registry.add("atr", f"atr_{window}", window=window))


def _vwap(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or (
        int(m.group(3) or m.group(4)) if (m.group(3) or m.group(4)) else None
    )
    if window is None:
        return _ind(ctx.registry.add("vwap", "vwap"))
    return _ind(ctx.registry.add("vwap", f"vwap_{window}", window=window))


def _donchian(m: re.Match[str], ctx: Context) -> Operand | None:
    window = _window(m.group(1), m.group(2), ctx)
    side = m.group(3)
    if window is None:
        return None
    ident = ctx.registry.add("donchian", f"donchian_{window}", window=window)
    return _ind(ident, "upper" if side.startswith("high") else "lower")


def _highest(m: re.Match[str], ctx: Context) -> Operand:
    side, window = m.group(1), int(m.group(2))
    ident = ctx.registry.add("donchian", f"donchian_{window}", window=window)
    return _ind(ident, "upper" if side == "highest" else "lower")


def _donchian_named(m: re.Match[str], ctx: Context) -> Operand:
    window = int(m.group(1) or m.group(3) or 20)
    side = m.group(2) or "upper"
    ident = ctx.registry.add("donchian", f"donchian_{window}", window=window)
    return _ind(ident, {"upper": "upper", "lower": "lower", "middle": "middle"}[side])


def _roc(m: re.Match[str], ctx: Context) -> Operand | None:
    window = _window(m.group(1), m.group(2), ctx) or (
        int(m.group(3) or m.group(4)) if (m.group(3) or m.group(4)) else None
    )
    if window is None:
        known = [i for i in ctx.registry.items if i["kind"] == "roc"]
        return _ind(str(known[0]["id"])) if len(known) == 1 else None
    return _ind(ctx.registry.add("roc", f"roc_{window}", window=window))


def _month_momentum(m: re.Match[str], ctx: Context) -> Operand:
    months = int(m.group(1))
    window = months * 21
    ctx.assume(f"{months}-month momentum is measured as the return over {window} bars.")
    return _ind(ctx.registry.add("roc", f"roc_{window}", window=window))


def _vol(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or int(m.group(3) or m.group(4) or 20)
    return _ind(ctx.registry.add("realized_vol", f"vol_{window}", window=window))


def _zscore(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or int(m.group(3) or m.group(4) or 20)
    return _ind(ctx.registry.add("zscore", f"zscore_{window}", window=window))


def _avg_volume(m: re.Match[str], ctx: Context) -> Operand:
    window = _window(m.group(1), m.group(2), ctx) or 20
    return _ind(ctx.registry.add("sma", f"volume_sma_{window}", window=window, source="volume"))


def _volume(m: re.Match[str], ctx: Context) -> Operand:
    return _price("volume")


def _price_word(m: re.Match[str], ctx: Context) -> Operand:
    shifted = bool(m.group(1))
    word = m.group(2)
    fld = "close"
    if word.startswith("open"):
        fld = "open"
    elif word in ("high", "low"):
        fld = word
    return _price(fld, 1 if shifted else 0)


def _vix(m: re.Match[str], ctx: Context) -> Operand:
    ctx.assume("The VIX level is the close of ^VIX (a 1-bar SMA computed on ^VIX data).")
    return _ind(ctx.registry.add("sma", "vix", window=1, symbol="^VIX"))


def _number(m: re.Match[str], ctx: Context) -> Operand:
    raw = m.group(1)
    return {"kind": "const", "value": 0.0 if raw == "zero" else float(raw)}


def _ma_of_vix(m: re.Match[str], ctx: Context) -> Operand | None:
    window = _window(m.group(1), m.group(2), ctx)
    if window is None:
        return None
    word = m.group(3)
    kind = {"ema": "ema", "exponential moving average": "ema", "wma": "wma"}.get(word, "sma")
    return _ind(ctx.registry.add(kind, f"vix_{kind}_{window}", window=window, symbol="^VIX"))


_OPERANDS: list[tuple[re.Pattern[str], Callable[[re.Match[str], Context], Operand | None]]] = [
    (re.compile(rf"{_W}(simple moving average|exponential moving average|weighted moving average|moving average|sma|ema|wma|ma)s?\b{_AFTER}"), _ma),
    (re.compile(r"\b(fast|slow)(?:er)?\s*(sma|ema|wma|ma|moving average)s?\b"), _fast_slow),
    (re.compile(rf"{_W}(?:rsi|relative strength(?: index)?){_AFTER}"), _rsi),
    (re.compile(r"macd(?:\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\))?(?:\s*(line|histogram|hist|signal(?: line)?))?"), _macd),
    (re.compile(r"\bsignal[\s-]*line\b|\bsignal\b"), _signal_line),
    (re.compile(r"\bhistogram\b"), _histogram),
    (re.compile(r"\b(upper|lower|middle|mid)\s*(?:bollinger\s*)?band"), _bb),
    (re.compile(r"%\s*b\b|\bpercent[\s_-]*b\b"), _percent_b),
    (re.compile(r"stoch(?:astic)?s?(?:\s*oscillator)?(?:\s*(%?k|%?d)\b)?|(%k|%d)\b"), lambda m, c: _stoch_fix(m, c)),
    (re.compile(rf"{_W}adx{_AFTER}"), _adx),
    (re.compile(r"(\+|plus|positive|-|minus|negative)\s*di\b"), _di),
    (re.compile(rf"{_W}atr{_AFTER}"), _atr),
    (re.compile(rf"{_W}vwap{_AFTER}"), _vwap),
    (re.compile(r"\b(?:(\d+)[\s-]*(d|day|days|bar|bars|period|week|weeks|wk|hour|hours|session|sessions)?[\s-]*)(highs?|lows?)\b(?![\s-]*(?:price|of the day))"), _donchian),
    (re.compile(r"(highest|lowest)\s*(?:high|low|close|price)?\s*(?:of|in|over)\s*the\s*(?:last|past|previous|prior)\s*(\d+)\s*(?:days|bars|sessions|candles|hours|weeks)"), _highest),
    (re.compile(r"(?:(\d+)[\s-]*(?:day|bar|period)?\s*)?donchian(?:\s*channel)?(?:\s*(upper|lower|middle))?(?:\s*\(?\s*(\d+)\s*\)?)?|(?<=\bchannel )(upper|lower)"), lambda m, c: _donchian_named_fix(m, c)),
    (re.compile(r"(\d+)[\s-]*month\s*(?:momentum|return|rate of change|roc)"), _month_momentum),
    (re.compile(rf"{_W}(?:roc|rate of change|momentum|returns?|performance|change)\b{_AFTER}"), _roc),
    (re.compile(rf"{_W}(?:realized |realised |historical |annuali[sz]ed )?(?:volatility|vol)\b(?!ume){_AFTER}"), _vol),
    (re.compile(rf"{_W}z[\s-]*scores?{_AFTER}"), _zscore),
    (re.compile(rf"{_W}(?:average|avg|mean)\s*(?:daily\s*)?volume"), _avg_volume),
    (re.compile(r"\bvolume\b"), _volume),
    (re.compile(rf"{_W}(simple moving average|exponential moving average|moving average|sma|ema|wma|ma|average)\s*of\s*(?:the\s*)?\^?vix\b"), _ma_of_vix),
    (re.compile(r"\^?\bvix\b"), _vix),
    (re.compile(r"\b(yesterday'?s|previous|prior|last bar'?s|the previous|the prior|previous day'?s|prior day'?s)?\s*(price|close|closes|closing price|closed|closing|last price|open|opening price|opens|high|low)\b"), _price_word),
    (re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?|zero)\s*%?(?![\w.]*[\s-]*(?:day|bar|period|week|hour|month|sma|ema|wma|ma\b|moving|rsi|atr|adx))"), _number),
]  # fmt: skip


def _stoch_fix(m: re.Match[str], ctx: Context) -> Operand:
    part = (m.group(1) or m.group(2) or "k").strip("% ")
    k, smooth, d = ctx.stoch
    ident = ctx.registry.add("stoch", "stoch", k_window=k, smooth_k=smooth, d_window=d)
    return _ind(ident, "d" if part == "d" else "k")


def _donchian_named_fix(m: re.Match[str], ctx: Context) -> Operand:
    if m.group(4):
        window = 20
        ident = ctx.registry.add("donchian", f"donchian_{window}", window=window)
        return _ind(ident, m.group(4))
    return _donchian_named(m, ctx)


def find_operands(phrase: str, ctx: Context) -> list[OperandHit]:
    hits: list[OperandHit] = []
    for rx, build in _OPERANDS:
        for m in rx.finditer(phrase):
            if m.end() == m.start():
                continue
            if build is _price_word and re.search(
                r"(?:sma|ema|wma|average|score|rsi|roc|change|volatility|vwap|bands?|macd)\s*(?:of|on)\s*(?:the\s*)?$",
                phrase[: m.start()],
            ):
                continue  # "the 20-day z-score of the close": the close is the source, not an operand
            end = m.start() + len(m.group(0).rstrip())
            hits.append(OperandHit(m.start(), end, build, m))
    return hits


def _materialise(hit: OperandHit, ctx: Context) -> Operand | None:
    return hit.build(hit.match, ctx)


def last_operand(phrase: str, ctx: Context) -> Operand | None:
    hits = find_operands(phrase, ctx)
    # prefer the match ending last, and the longest among those
    for hit in _dedupe_overlaps(hits, prefer_end=True):
        op = _materialise(hit, ctx)
        if op is not None:
            return op
    return None


def first_operand(phrase: str, ctx: Context) -> Operand | None:
    hits = find_operands(phrase, ctx)
    for hit in _dedupe_overlaps(hits, prefer_end=False):
        op = _materialise(hit, ctx)
        if op is not None:
            return op
    return None


def _dedupe_overlaps(hits: list[OperandHit], *, prefer_end: bool) -> list[OperandHit]:
    if prefer_end:
        return sorted(hits, key=lambda h: (-h.end, h.start))
    return sorted(hits, key=lambda h: (h.start, -h.end))


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------

_CMP = re.compile(
    r"(?P<xa>\bcross(?:es|ed|ing)?\s*(?:back\s*)?(?:above|over|up(?:\s*through)?|through|upward)\b|\bcrossover\s*above\b)"
    r"|(?P<xb>\bcross(?:es|ed|ing)?\s*(?:back\s*)?(?:below|under|down(?:\s*through)?|downward)\b)"
    r"|(?P<x>\bcross(?:es|ed|ing)?\b)"
    r"|(?P<ge>>=|=>|≥|\bat least\b|\bnot below\b)"
    r"|(?P<le><=|=<|≤|\bat most\b|\bnot above\b)"
    r"|(?P<gt>>|\b(?:is\s*|are\s*|was\s*|closes?\s*|closed\s*|trades?\s*|stays?\s*|moves?\s*|rises?\s*|goes\s*(?:back\s*)?|gets\s*|jumps?\s*|breaks?\s*(?:out\s*)?|pops?\s*|climbs?\s*|ends?\s*|finish(?:es)?\s*|turns?\s*|remains?\s*|holds?\s*)?(?:above|over|greater than|higher than|more than|exceeds?|beyond|bigger than|north of)\b|\bturns?\s*positive\b|\bpositive\b)"
    r"|(?P<lt><|\b(?:is\s*|are\s*|was\s*|closes?\s*|closed\s*|trades?\s*|stays?\s*|moves?\s*|drops?\s*|falls?\s*|goes\s*(?:back\s*)?|gets\s*|dips?\s*|breaks?\s*(?:down\s*)?|sinks?\s*|plunges?\s*|ends?\s*|finish(?:es)?\s*|turns?\s*|remains?\s*|slips?\s*)?(?:below|under|less than|lower than|beneath|smaller than|south of)\b|\bturns?\s*negative\b|\bnegative\b)"
    r"|(?P<touch>\b(?:reaches|hits|touches|returns to|reverts to|gets back to|tags|comes back to|goes back to|reverts back to|back to)\b)"
)
_SPLIT = re.compile(r"\s*(?:,|\(|\)|\band\b|\bor\b|\bbut\b|\bwhile\b|\bwith\b)\s*")
_PARAMS_IN_PARENS = re.compile(r"\((\s*\d+(?:\.\d+)?\s*(?:,\s*\d+(?:\.\d+)?\s*)*)\)")


def _split(text: str) -> list[str]:
    """Clauses split at commas/and/or/parentheses, keeping "macd(12,26,9)" in one piece."""
    protected = _PARAMS_IN_PARENS.sub(lambda m: "[" + m.group(1).replace(",", "|") + "]", text)
    return [
        p.replace("[", "(").replace("]", ")").replace("|", ",")
        for p in _SPLIT.split(protected)
        if p and p.strip()
    ]


_OR = re.compile(r"\bor\b")


@dataclass
class ParsedConditions:
    conditions: list[Cond]
    join: str = "all"


def _consecutive(chunk: str, ctx: Context) -> tuple[list[Cond], str]:
    found: list[Cond] = []
    rx = re.compile(
        r"(\d+)\s*(?:consecutive\s*|straight\s*)?(down|up|red|green|lower|higher|losing|winning|negative|positive|declining|rising|falling|bearish|bullish)\s*(?:closing\s*)?(?:days?|bars?|closes?|candles?|sessions?|weeks?|hours?|periods?)(?:\s*in\s*a\s*row)?"
        r"|(?:(?:it\s*|price\s*|the\s*price\s*)?clos(?:es|ed)\s*)?(\d+)\s*(?:days?|bars?|sessions?|candles?)\s*in\s*a\s*row\s*(?:of|with)?\s*(lower|higher|down|up|red|green)\s*(?:closes?)?"
        r"|(?:closes?|closed)\s*(lower|higher|down|up)\s*(\d+)\s*(?:days?|bars?|sessions?|times)\s*in\s*a\s*row"
    )
    for m in rx.finditer(chunk):
        if m.group(1):
            n, word = int(m.group(1)), m.group(2)
        elif m.group(3):
            n, word = int(m.group(3)), m.group(4)
        else:
            n, word = int(m.group(6)), m.group(5)
        down = word in {
            "down",
            "red",
            "lower",
            "losing",
            "negative",
            "declining",
            "falling",
            "bearish",
        }
        candle = word in {"red", "green", "bearish", "bullish"}
        left = _price("close")
        right = _price("open") if candle else _price("close", 1)
        base: Cond = {"kind": "compare", "left": left, "op": "<" if down else ">", "right": right}
        found.append({"kind": "for_n_bars", "condition": base, "n": n} if n > 1 else base)
    rest = rx.sub(" ", chunk)
    return found, rest


def parse_conditions(chunk: str, ctx: Context, *, role: str) -> ParsedConditions:
    """Conditions in one clause; `role` is 'entry' or 'exit' (decides bare 'crosses')."""
    conds, rest = _consecutive(chunk, ctx)
    # "between 40 and 50" -> "above 40 and below 50" (the second part reads the same operand)
    rest = _BETWEEN.sub(r"above \1 and is below \2", rest)
    # "crosses back above 30 after being below it": the cross already says so
    rest = re.sub(
        r"\bafter\s+(?:being|it was|trading)\s+(?:below|above|under|over)\s+(?:it|that|this|there|them)\b",
        " ",
        rest,
    )
    # "crosses the 50 EMA from below" -> "crosses above the 50 EMA"
    rest = _CROSS_FROM.sub(
        lambda m: f"crosses {'above' if m.group(2) == 'below' else 'below'}{m.group(1)}", rest
    )
    # "unless X" / "except when X" / "but not when X" -> NOT X; "as long as X" -> AND X
    rest = _NEGATED.sub(f" , {_NOT_MARK} ", rest)
    rest = _ALSO_REQUIRED.sub(" , ", rest)
    join = "any" if _OR.search(rest) and not re.search(r"\beither\b.*\band\b", rest) else "all"
    for piece in _split(rest):
        negate = False
        if piece.lstrip().startswith(_NOT_MARK) or _NOT_LEAD.match(piece):
            negate = True
            piece = _NOT_LEAD.sub(" ", piece.replace(_NOT_MARK, " ", 1), count=1)
        cond = _piece(piece, ctx, role)
        if cond is not None:
            conds.append({"kind": "not", "condition": cond} if negate else cond)
    return ParsedConditions(conds, join)


def _piece(piece: str, ctx: Context, role: str) -> Cond | None:
    """The one condition in a clause piece, or None (what was not understood is recorded)."""
    n_bars = None
    fm = _FOR_N.search(piece)
    if fm:
        n_bars = int(fm.group(1) or fm.group(2))
        piece = piece[: fm.start()] + " " + piece[fm.end() :]
    if _MULTIPLE.search(piece) and _CMP.search(piece):
        ctx.not_supported.append(
            f"I did not understand: '{_clean(piece)}' — comparing with a multiple of another value "
            "(e.g. 'twice the average volume') is not supported yet."
        )
        return None
    m = _CMP.search(piece)
    if not m:
        cond = _bare_rule(piece, ctx, role)
        if cond is not None:
            return _for_n(cond, n_bars)
        ctx.not_understood(piece)
        return None
    kind = m.lastgroup or ""
    left_txt, right_txt = piece[: m.start()], piece[m.end() :]
    left = last_operand(left_txt, ctx)
    if left is not None and _report_head(left_txt, ctx):
        ctx.not_understood(piece)  # a negation the parser did not place: quote, do not half-read
        return None
    if left is None and "close" in m.group(0):
        left = _price("close")
    if left is not None and left.get("kind") == "const":
        left = _window_as_ma(left, ctx) or left
    if left is None:
        if has_content(_without_operands(left_txt, ctx)):
            ctx.not_understood(piece)  # "when it gaps up more than 2%": not a rule on the close
            return None
        refers_back = re.search(r"\b(?:it|they|them)\b", left_txt) is not None
        left = (ctx.last_left if refers_back else None) or _implicit_left(piece[m.end() :], ctx)
    if left.get("kind") == "const":
        # "5% below the 20-day SMA", "2 standard deviations below ...": not a rule on the number
        ctx.not_supported.append(
            f"I did not understand: '{_clean(piece)}' — a distance from another value "
            "(e.g. '5% below the 20-day SMA') is not supported yet; compare with the value itself, "
            "or use a z-score or Bollinger band."
        )
        return None
    right = first_operand(right_txt, ctx) or _elided_average(left, right_txt, ctx)
    chained: Cond | None = None
    if right is not None:
        chained = _chained(right_txt, right, ctx, role)
        if chained is None and _tail_says_more(right_txt, ctx):
            # "no more than 3 trades per month": the comparison is not what it looks like
            ctx.not_understood(piece)
            return None
    if right is not None and right.get("kind") == "const" and kind in ("xa", "xb", "x"):
        right = _window_as_ma(right, ctx) or right
    if right is None:
        zero = (kind in ("gt", "lt") and re.search(r"positive|negative", m.group(0))) or (
            kind == "touch" and re.search(r"\b(?:mean|average|zero|middle)\b", right_txt)
        )
        pronoun = not right_txt.strip() or re.search(r"\b(?:it|them|that|this|back)\b", right_txt)
        if zero:
            right = {"kind": "const", "value": 0.0}
        elif pronoun and ctx.last_right is not None:
            right = ctx.last_right  # "sell below it", "sell when it crosses back below"
        else:
            ctx.not_understood(piece)
            return None
    ctx.last_left, ctx.last_right = left, right
    cond = _for_n(_make(kind, left, right, role), n_bars)
    if chained is not None:
        return {"kind": "all", "conditions": [cond, chained]}
    return cond


def _chained(right_txt: str, right: Operand, ctx: Context, role: str) -> Cond | None:
    """'the 10-day EMA > 20-day EMA > 50-day EMA': the right operand compared again."""
    hits = sorted(find_operands(right_txt, ctx), key=lambda h: (h.start, -h.end))
    if not hits:
        return None
    tail = right_txt[hits[0].end :]
    m = _CMP.match(tail.lstrip())
    if not m or m.lastgroup not in ("gt", "lt", "ge", "le"):
        return None
    third = first_operand(tail.lstrip()[m.end() :], ctx)
    if third is None:
        return None
    return _make(m.lastgroup, right, third, role)


_CROSS_FROM = re.compile(r"\bcross(?:es|ed|ing)?\b([^,;]*?)\s+from\s+(below|above)\b")
_NOT_MARK = "~not~"
_NEGATED = re.compile(
    r"\b(?:unless|except\s+(?:when|if|while)|(?:but\s+|and\s+)?(?:not|never)\s+(?:when|if|while))\b"
)
_ALSO_REQUIRED = re.compile(r"\b(?:as\s+long\s+as|provided(?:\s+that)?|only\s+(?:if|when|while))\b")
_NOT_LEAD = re.compile(r"^\s*(?:not|never)\s+(?:when|if|while)\b")
_FOR_N = re.compile(
    r"\bfor\s*(?:the\s*)?(?:last\s*|past\s*|at least\s*)?(\d+)\s*(?:consecutive\s*|straight\s*)?(?:days?|bars?|sessions?|candles?|weeks?|hours?|closes?)(?:\s*in\s*a\s*row)?"
    r"|\b(\d+)\s*(?:consecutive\s*|straight\s*)?(?:days?|bars?|sessions?|candles?|closes?)\s*in\s*a\s*row"
)
_MULTIPLE = re.compile(r"\b(?:twice|double|triple|thrice|half of|\d+(?:\.\d+)?\s*(?:x|times))\b")
_NOT_OPERAND = re.compile(
    r"\b(?:stock|share|shares|market|index|etf|asset|coin|token|ticker|it|its|they|them)\b"
)
_HIGH_LOW = re.compile(
    r"(?:\b(?:a|the)\s*)?(?:new\s*|fresh\s*)?(\d+)[\s-]*(d|day|days|bar|bars|period|periods|week|weeks|session|sessions|hour|hours)?[\s-]*(high|low)s?\b"
)
_BETWEEN = re.compile(r"\bbetween\s*(-?\d+(?:\.\d+)?)\s*(?:and|-|to)\s*(-?\d+(?:\.\d+)?)")
_SLOPE = re.compile(
    r"\b(?:is\s*|are\s*|starts?\s*|turns?\s*)?(rising|increasing|sloping up|turning up|going up|falling|decreasing|declining|sloping down|turning down|going down)\b"
)
_AT_OPERAND = re.compile(r"^\s*(?:at|on|to)\s+(?:the\s+)?(.+)$")


_PRICE_SCALE = ("sma", "ema", "wma", "bbands", "donchian", "vwap")


def _implicit_left(right_txt: str, ctx: Context) -> Operand:
    """The subject of a comparison written without one: the close when compared with a price-level
    indicator ('only trade above the 200-day SMA'), else the previous subject ('sell when it is
    above 70'), else the message's oscillator or the close."""
    right = first_operand(right_txt, ctx)
    if right is not None and right.get("kind") == "indicator":
        item = next((i for i in ctx.registry.items if i["id"] == right["id"]), None)
        if item is not None and item["kind"] in _PRICE_SCALE and not item.get("symbol"):
            return _price("close")
    return ctx.last_left or _subject(right_txt, ctx)


def _subject(right_txt: str, ctx: Context) -> Operand:
    """The left side of 'buy below 30' when nothing was named before it: the message's one
    oscillator against a number, otherwise the close (said in the assumptions)."""
    right = first_operand(right_txt, ctx)
    if ctx.topic is not None and right is not None and right.get("kind") == "const":
        return ctx.topic
    if right is not None and right.get("kind") == "const":
        ctx.assume(
            f"'{_clean(right_txt)}' names no indicator, so I compared the close price with it."
        )
    return _price("close")


def find_topic(text: str, ctx: Context) -> None:
    """Set ctx.topic when the message names exactly one oscillator ('RSI strategy on SPY')."""
    kinds: dict[Callable[[re.Match[str], Context], Operand | None], str] = {
        _rsi: "rsi",
        _stoch_fix: "stoch",
        _zscore: "zscore",
        _roc: "roc",
        _percent_b: "bbands",
    }
    hits = [h for h in find_operands(text, ctx) if h.build in kinds]
    if len({kinds[h.build] for h in hits}) != 1:
        return
    ctx.topic = _materialise(sorted(hits, key=lambda h: -(h.end - h.start))[0], ctx)


_ELIDED = re.compile(
    r"^\s*(?:the\s*|its\s*)?(\d+)[\s-]*(d|day|days|bar|bars|period|periods|week|weeks|hour|hours)\b(?!\s*(?:high|low))"
)


def _elided_average(left: Operand, right_txt: str, ctx: Context) -> Operand | None:
    """'the 20-day SMA crosses above the 50-day': the same kind of average, another length."""
    if left.get("kind") != "indicator":
        return None
    item = next((i for i in ctx.registry.items if i["id"] == left["id"]), None)
    m = _ELIDED.match(right_txt)
    if item is None or item["kind"] not in ("sma", "ema", "wma") or m is None:
        return None
    window = _window(m.group(1), m.group(2), ctx)
    if window is None:
        return None
    kind = str(item["kind"])
    return _ind(ctx.registry.add(kind, f"{kind}_{window}", window=window))


def _report_head(left_txt: str, ctx: Context) -> bool:
    """Report words before the left operand that say something ('the moon phase says go when the
    close ...'); True when they negate the comparison (then it must not be used)."""
    hits = sorted(find_operands(left_txt, ctx), key=lambda h: (-h.end, h.start))
    if not hits:
        return False
    head = left_txt[: hits[0].start]
    if re.search(r"\b(?:not|never|no|without|except|unless)\b", head):
        return True
    if has_content(_without_operands(head, ctx)):
        ctx.not_understood(head)
    return False


def _tail_says_more(right_txt: str, ctx: Context) -> bool:
    """True when words after the right operand say something the comparison does not use
    ('is above 30 if the market is calm', '3 trades per month')."""
    hits = sorted(find_operands(right_txt, ctx), key=lambda h: (h.start, -h.end))
    if not hits:
        return False
    tail = right_txt[hits[0].end :]
    return bool(_CMP.search(tail)) or has_content(_without_operands(tail, ctx))


def _window_as_ma(op: Operand, ctx: Context) -> Operand | None:
    """'the 50 crosses back below the 200': bare numbers naming moving averages already used."""
    value = op["value"]
    for item in ctx.registry.items:
        if item["kind"] in ("sma", "ema", "wma") and item.get("window") == value:
            return _ind(str(item["id"]))
    return None


def _without_operands(text: str, ctx: Context) -> str:
    for hit in sorted(find_operands(text, ctx), key=lambda h: -h.start):
        text = text[: hit.start] + " " + text[hit.end :]
    return re.sub(_NOT_OPERAND, " ", text)


def _clean(piece: str) -> str:
    return " ".join(piece.split()).strip(" ,.;:")


def _for_n(cond: Cond, n: int | None) -> Cond:
    if n is None or n <= 1:
        return cond
    return {"kind": "for_n_bars", "condition": cond, "n": n}


def _bare_rule(piece: str, ctx: Context, role: str) -> Cond | None:
    """Rules written without a comparison word: 'on a new 55-day high', 'exit on a 20-day low',
    'sell at the middle band'."""
    if re.search(r"%|\bwithin\b|\bnear\b|\bclose to\b|\baway\b|\bof its\b", piece):
        return None  # "within 5% of its 52-week high" is not a breakout
    hl = _HIGH_LOW.search(piece)
    if hl:
        window = _window(hl.group(1), hl.group(2), ctx)
        if window:
            ident = ctx.registry.add("donchian", f"donchian_{window}", window=window)
            high = hl.group(3) == "high"
            op = ">" if high else "<"
            return {
                "kind": "compare",
                "left": _price("close"),
                "op": op,
                "right": _ind(ident, "upper" if high else "lower"),
            }
    slope = _SLOPE.search(piece)
    if slope:
        target = last_operand(piece[: slope.start()], ctx) or ctx.last_left
        if target is not None and target.get("kind") != "const":
            up = slope.group(1) in ("rising", "increasing", "sloping up", "turning up", "going up")
            earlier = {**target, "shift": int(target.get("shift", 0)) + 1}
            ctx.last_left = target
            return {"kind": "compare", "left": target, "op": ">" if up else "<", "right": earlier}
    at = _AT_OPERAND.match(piece)
    if role == "exit" and at:
        # "sell at the middle band": the close reaching a price level
        target = first_operand(at.group(1), ctx)
        if target is not None and _is_price_level(target, ctx):
            return {
                "kind": "compare",
                "left": _price("close"),
                "op": ">=",
                "right": target,
                "touch": True,
            }
    return None


def _is_price_level(op: Operand, ctx: Context) -> bool:
    if op.get("kind") != "indicator":
        return False
    item = next((i for i in ctx.registry.items if i["id"] == op["id"]), None)
    return item is not None and item["kind"] in _PRICE_SCALE and not item.get("symbol")


def _make(kind: str, left: Operand, right: Operand, role: str) -> Cond:
    if kind == "xa":
        return {"kind": "crosses_above", "left": left, "right": right}
    if kind == "xb":
        return {"kind": "crosses_below", "left": left, "right": right}
    if kind == "x":
        return {
            "kind": "crosses_above" if role == "entry" else "crosses_below",
            "left": left,
            "right": right,
        }
    op = {"ge": ">=", "le": "<=", "gt": ">", "lt": "<"}.get(kind)
    if op is None:  # touch: decided by the caller's role (exits revert up by default)
        op = ">=" if role == "exit" else "<="
        return {"kind": "compare", "left": left, "op": op, "right": right, "touch": True}
    return {"kind": "compare", "left": left, "op": op, "right": right}


def mirror(cond: Cond) -> Cond:
    """The same rule for the other side: crosses and comparisons flipped."""
    out = copy.deepcopy(cond)
    kind = out["kind"]
    if kind == "crosses_above":
        out["kind"] = "crosses_below"
    elif kind == "crosses_below":
        out["kind"] = "crosses_above"
    elif kind == "compare":
        out["op"] = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "=="}[out["op"]]
    elif kind == "for_n_bars":
        out["condition"] = mirror(out["condition"])
    return out


def merge_indicators(spec: dict[str, Any], ctx: Context) -> None:
    """Add the indicators a rule parsed for an edit registered to the spec."""
    existing = {i["id"] for i in spec.get("indicators", [])}
    for item in ctx.registry.items:
        if item["id"] not in existing:
            spec.setdefault("indicators", []).append(item)
