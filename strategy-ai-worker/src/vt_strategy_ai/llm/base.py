"""Provider interface, the turn envelope the model must produce, and the validate-and-retry loop."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import SecretStr

from vt_strategy_ai.spec.checks import Checked

TokenSink = Callable[[str], Awaitable[None]]

INTENTS = ["new", "modify", "question", "clarify", "unsupported"]


@dataclass
class TurnInput:
    """Everything a provider may use for one turn."""

    message: str
    current_spec: dict[str, Any] | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    insight: dict[str, Any] | None = None
    # earlier user messages of a strategy still being clarified (no spec yet): the answer to a
    # clarifying question completes them instead of starting over
    pending: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    """A provider's answer for one turn; `checked.spec` is set only when fully valid."""

    intent: str
    reply: str
    checked: Checked | None = None
    clarification: str | None = None
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    provider: str = "offline"
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    attempts: int = 1
    streamed: bool = False
    streamed_text: str = ""
    started: float = field(default_factory=time.perf_counter)
    provider_ms: float = 0.0
    code_report: Any = None


class Provider(Protocol):
    name: str
    model: str | None

    async def propose(
        self, turn: TurnInput, on_token: TokenSink | None, api_key: SecretStr | None = None
    ) -> Proposal: ...

    async def aclose(self) -> None: ...


class ReplyFieldStreamer:
    """Pulls the text of the top-level "reply" string out of a JSON document arriving in pieces,
    so the reply can stream token by token while the model is still writing the spec."""

    def __init__(self) -> None:
        self._buf = ""
        self._pos = 0
        self._state = "search"  # search -> in_string -> done

    def feed(self, piece: str) -> str:
        self._buf += piece
        out: list[str] = []
        if self._state == "search":
            key = self._buf.find('"reply"')
            if key < 0:
                return ""
            colon = self._buf.find(":", key + 7)
            if colon < 0:
                return ""
            quote = self._buf.find('"', colon + 1)
            if quote < 0:
                return ""
            self._state = "in_string"
            self._pos = quote + 1
        while self._state == "in_string" and self._pos < len(self._buf):
            ch = self._buf[self._pos]
            if ch == '"':
                self._state = "done"
                break
            if ch == "\\":
                if self._pos + 1 >= len(self._buf):
                    break
                nxt = self._buf[self._pos + 1]
                if nxt == "u":
                    if self._pos + 6 > len(self._buf):
                        break
                    with contextlib.suppress(ValueError):
                        out.append(json.loads('"' + self._buf[self._pos : self._pos + 6] + '"'))
                    self._pos += 6
                    continue
                out.append({"n": "\n", "t": "\t", "r": "", "b": "", "f": ""}.get(nxt, nxt))
                self._pos += 2
                continue
            out.append(ch)
            self._pos += 1
        return "".join(out)


def envelope_schema(spec_schema: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of the object the model returns: reply first (so it can stream), then the spec."""
    defs = dict(spec_schema.get("$defs", {}))
    spec_body = {k: v for k, v in spec_schema.items() if k != "$defs"}
    defs["StrategySpec"] = spec_body
    return {
        "type": "object",
        "properties": {
            "reply": {
                "type": "string",
                "description": "Short answer to the trader in plain language (no code, no performance numbers).",
            },
            "intent": {"type": "string", "enum": INTENTS},
            "clarification": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "ONE precise question when the strategy cannot be built yet; otherwise null.",
            },
            "spec": {
                "anyOf": [{"$ref": "#/$defs/StrategySpec"}, {"type": "null"}],
                "description": "The complete StrategySpec (for new or modify), otherwise null.",
            },
            "unmapped": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Every clause of the trader's message that the spec does NOT express, quoted verbatim (empty when nothing was left out).",
            },
        },
        "required": ["reply", "intent", "clarification", "spec", "unmapped"],
        "additionalProperties": False,
        "$defs": defs,
    }
