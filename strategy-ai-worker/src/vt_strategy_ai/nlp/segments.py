"""Sentences into (role, clause) pairs: which clause is the entry, the exit, a cover, a filter.

Roles: long, short, exit, cover, filter, none (a clause with no buy/sell verb).
"""

from __future__ import annotations

import re

ACTION = re.compile(
    r"\b(?P<short>sell short|go short|short[\s-]?sell|short the spread|short it|short(?=\s+(?:when|if|once|on|whenever|after|the|it|\w+/\w+|[a-z]{2,5}\s+when)))\b"
    r"|\b(?P<cover>cover(?: the short| shorts?)?|buy to cover|close (?:the |my |our |all )?shorts?)\b"
    r"|\b(?P<long>buy(?:s|ing)?|go(?:es)? long|long(?=\s+(?:when|if|once|on|whenever|after))|enter(?: long| a long| a trade| the trade)?|get in|open a (?:long|position)|accumulate|purchase|invest)\b"
    r"|\b(?P<exit>sell(?:s|ing)?|exit(?:s|ing)?|close (?:the |my |our )?(?:position|trade|long)s?|close (?:it|out)|(?<!the )close(?=\s+(?:when|if|once|whenever|after))|get out|take profits?|liquidate|flatten)\b"
)
CONDITION_HINT = re.compile(
    r"[<>]|\bcross|\babove\b|\bbelow\b|\bunder\b|\bover\b|in a row|consecutive|\bpositive\b|\bnegative\b|\bexceeds?\b|\bgreater\b|\bless than\b"
)
FILTER = re.compile(
    r"\b(?:only (?:trade|take (?:trades|entries|longs|signals)|buy|enter|go long|when|if|be long)|filter|as long as|provided that|regime filter|trend filter|but only)\b"
)
_TRIGGER_START = re.compile(r"^[\s,]*(?:when|if|once|whenever|as soon as|on|at|after)\b")


def segments(work: str) -> list[tuple[str, str]]:
    """(role, clause) pairs: role in long/short/exit/cover/filter/none."""
    out: list[tuple[str, str]] = []
    for sentence in re.split(
        r"(?<!\d)[.;!?\n]+(?!\d)|\bthen\b|,?\s*\b(?:and|but)?\s*(?=\bonly (?:trade|take|buy|enter|go|when|if|be)\b)",
        work,
    ):
        if not sentence.strip():
            continue
        if FILTER.search(sentence) and not re.search(r"\b(?:sell|exit|cover)\b", sentence):
            out.append(("filter", sentence))
            continue
        marks = list(ACTION.finditer(sentence))
        if not marks:
            out.append(("none", sentence))
            continue
        items: list[tuple[str, str]] = []
        pos = 0
        for mk in marks:
            if sentence[pos : mk.start()].strip():
                items.append(("cond", sentence[pos : mk.start()]))
            items.append(("act:" + (mk.lastgroup or "long"), mk.group(0)))
            pos = mk.end()
        if sentence[pos:].strip():
            items.append(("cond", sentence[pos:]))
        used: set[int] = set()
        placed: list[tuple[int, str, str]] = []
        for i, (kind, _) in enumerate(items):
            if not kind.startswith("act:"):
                continue
            role = kind[4:]
            chosen = None
            prev_ok = (
                i > 0
                and items[i - 1][0] == "cond"
                and (i - 1) not in used
                and CONDITION_HINT.search(items[i - 1][1])
            )
            next_ok = i + 1 < len(items) and items[i + 1][0] == "cond"
            next_led = next_ok and _TRIGGER_START.match(items[i + 1][1])
            prev_led = prev_ok and _TRIGGER_START.match(items[i - 1][1])
            if next_led and not prev_led:
                chosen = i + 1  # "EMA 12 crosses over EMA 26, exit when it crosses under"
            elif prev_ok:
                chosen = i - 1
            elif next_ok:
                chosen = i + 1
            if chosen is not None:
                used.add(chosen)
                placed.append((chosen, role, items[chosen][1]))
            else:
                placed.append((i, role, ""))
        for j, (kind, txt) in enumerate(items):
            if kind == "cond" and j not in used:
                placed.append((j, "none", txt))
        out.extend((role, txt) for _, role, txt in sorted(placed, key=lambda x: x[0]))
    return out
