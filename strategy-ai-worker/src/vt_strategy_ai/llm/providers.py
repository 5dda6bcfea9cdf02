"""LLM providers: offline parser, Anthropic (tool use), OpenAI and OpenAI-compatible (json_schema
structured output or a forced tool call). All stream the reply and retry invalid specs with the
validation errors fed back, a bounded number of times."""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from typing import Any

import anthropic
import openai
from pydantic import SecretStr

from vt_strategy_ai.llm.base import Proposal, ReplyFieldStreamer, TokenSink, TurnInput
from vt_strategy_ai.llm.prompts import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    response_schema,
    retry_feedback,
    system_prompt,
    unmapped_warnings,
    user_content,
    validate_envelope,
)
from vt_strategy_ai.nlp.coverage import cross_check
from vt_strategy_ai.nlp.parser import parse_message
from vt_strategy_ai.spec.checks import check_spec

log = logging.getLogger(__name__)


_MAX_CLIENTS = 32


def _remember(cache: dict[str, Any], key: str, client: Any) -> None:
    """Keep at most `_MAX_CLIENTS` clients (per-user keys); the oldest is dropped, not closed
    mid-request (its pool is released when garbage-collected)."""
    if len(cache) >= _MAX_CLIENTS:
        cache.pop(next(iter(cache)))
    cache[key] = client


class LLMUnavailable(Exception):
    """The provider could not be reached or refused the call (maps to a 502/503/504 problem)."""

    def __init__(self, provider: str, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.status = status


def _model_warnings(message: str, envelope: Any) -> list[str]:
    """The model's own unmapped clauses, plus what StrategySpec cannot express that it missed."""
    own = unmapped_warnings(envelope)
    return own + cross_check(message, own)


def _give_up(provider: str, model: str | None, errors: list[str], attempts: int) -> Proposal:
    shown = "; ".join(errors[:5])
    return Proposal(
        intent="invalid",
        reply=(
            f"I could not turn that into a valid strategy after {attempts} attempts, so I am not showing a half-valid one. "
            f"The remaining problems were: {shown}. Try rephrasing with what to trade, when to buy and when to sell."
        ),
        provider=provider,
        model=model,
        attempts=attempts,
    )


# --------------------------------------------------------------------------------------------
# Offline
# --------------------------------------------------------------------------------------------


class OfflineProvider:
    """The deterministic parser; no network, no key."""

    name = "offline"
    model: str | None = "vt-offline-parser-1"

    def __init__(self, today: date | None = None) -> None:
        self.today = today

    async def aclose(self) -> None:
        return None

    async def propose(
        self, turn: TurnInput, on_token: TokenSink | None, api_key: SecretStr | None = None
    ) -> Proposal:
        return self.propose_sync(turn)

    def propose_sync(self, turn: TurnInput) -> Proposal:
        started = time.perf_counter()
        parsed = parse_message(turn.message, turn.current_spec, today=self.today)
        if (
            turn.pending
            and turn.current_spec is None
            and parsed.intent in ("clarify", "unsupported")
        ):
            # answering a clarifying question (the message alone is not a complete request):
            # read the whole request so far as one message
            parsed = parse_message("\n".join([*turn.pending, turn.message]), None, today=self.today)
        checked = None
        intent: str = parsed.intent
        reply = parsed.answer or parsed.clarification or ""
        if parsed.spec is not None:
            checked = check_spec(parsed.spec)
            if checked.spec is None:
                intent = "invalid"
                reply = (
                    "I understood parts of that but could not build a valid strategy: "
                    + "; ".join(checked.errors[:3])
                    + ". Could you rephrase the entry and exit rules?"
                )
        return Proposal(
            intent=intent,
            reply=reply,
            checked=checked,
            clarification=parsed.clarification,
            assumptions=parsed.assumptions,
            warnings=parsed.warnings,
            provider=self.name,
            model=self.model,
            provider_ms=(time.perf_counter() - started) * 1000,
        )


# --------------------------------------------------------------------------------------------
# Anthropic
# --------------------------------------------------------------------------------------------


class AnthropicProvider:
    """Claude via the `anthropic` SDK: a forced tool call whose input is the turn envelope."""

    name = "anthropic"
    model: str | None

    def __init__(
        self,
        model: str | None,
        *,
        api_key: SecretStr | None,
        base_url: str | None = None,
        max_attempts: int = 3,
        max_tokens: int = 4096,
        timeout_s: float = 60.0,
    ) -> None:
        self.model = model
        self.api_key = api_key
        self.base_url = base_url
        self.max_attempts = max_attempts
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self._clients: dict[str, anthropic.AsyncAnthropic] = {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    def _client(self, api_key: SecretStr | None) -> anthropic.AsyncAnthropic:
        key = api_key or self.api_key
        secret = key.get_secret_value() if key else "not-set"
        client = self._clients.get(secret)
        if client is None:
            # one client (connection pool, TLS context) per key, reused across turns
            client = anthropic.AsyncAnthropic(
                api_key=secret,
                base_url=self.base_url or None,
                timeout=self.timeout_s,
                max_retries=1,
            )
            _remember(self._clients, secret, client)
        return client

    async def propose(
        self, turn: TurnInput, on_token: TokenSink | None, api_key: SecretStr | None = None
    ) -> Proposal:
        started = time.perf_counter()
        client = self._client(api_key)
        tool = {
            "name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "input_schema": response_schema(),
        }
        messages: list[dict[str, Any]] = [
            {"role": role, "content": content} for role, content in turn.history
        ]
        messages.append({"role": "user", "content": user_content(turn.message)})
        tokens_in = tokens_out = 0
        errors: list[str] = []
        streamed = False
        streamed_parts: list[str] = []
        try:
            for attempt in range(1, self.max_attempts + 1):
                streamer = ReplyFieldStreamer()
                blocks: dict[int, dict[str, Any]] = {}
                create: Any = client.messages.create
                stream = await create(
                    model=self.model,
                    max_tokens=self.max_tokens,
                    system=system_prompt(turn),
                    messages=messages,
                    tools=[tool],
                    tool_choice={"type": "tool", "name": TOOL_NAME},
                    stream=True,
                )
                async for event in stream:
                    etype = event.type
                    if etype == "message_start":
                        tokens_in += int(event.message.usage.input_tokens or 0)
                    elif etype == "content_block_start":
                        block = event.content_block
                        blocks[event.index] = {
                            "type": block.type,
                            "id": getattr(block, "id", None),
                            "name": getattr(block, "name", None),
                            "json": "",
                            "text": "",
                        }
                    elif etype == "content_block_delta":
                        delta = event.delta
                        slot = blocks.setdefault(
                            event.index, {"type": "text", "json": "", "text": ""}
                        )
                        if delta.type == "input_json_delta":
                            slot["json"] += delta.partial_json
                            piece = streamer.feed(delta.partial_json)
                            if piece and on_token is not None and attempt == 1:
                                streamed = True
                                streamed_parts.append(piece)
                                await on_token(piece)
                        elif delta.type == "text_delta":
                            slot["text"] += delta.text
                    elif etype == "message_delta":
                        tokens_out += int(getattr(event.usage, "output_tokens", 0) or 0)
                tool_block = next((b for b in blocks.values() if b["type"] == "tool_use"), None)
                if tool_block is None:
                    errors = [f"call the {TOOL_NAME} tool with the answer"]
                    messages.append(
                        {
                            "role": "assistant",
                            "content": "".join(b["text"] for b in blocks.values()) or "(no answer)",
                        }
                    )
                    messages.append({"role": "user", "content": retry_feedback(errors)})
                    continue
                try:
                    envelope = json.loads(tool_block["json"] or "{}")
                except ValueError:
                    envelope = None
                intent, reply, clarification, checked, errors = validate_envelope(envelope)
                if not errors:
                    return Proposal(
                        intent=intent,
                        reply=reply,
                        checked=checked,
                        clarification=clarification,
                        warnings=_model_warnings(turn.message, envelope),
                        provider=self.name,
                        model=self.model,
                        tokens_in=tokens_in,
                        tokens_out=tokens_out,
                        attempts=attempt,
                        streamed=streamed,
                        streamed_text="".join(streamed_parts),
                        provider_ms=(time.perf_counter() - started) * 1000,
                    )
                log.info("anthropic answer invalid (attempt %d): %s", attempt, errors[:3])
                messages.append(
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "tool_use",
                                "id": tool_block["id"],
                                "name": TOOL_NAME,
                                "input": envelope if isinstance(envelope, dict) else {},
                            }
                        ],
                    }
                )
                messages.append(
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": tool_block["id"],
                                "content": retry_feedback(errors),
                                "is_error": True,
                            }
                        ],
                    }
                )
        except anthropic.APITimeoutError as exc:
            raise LLMUnavailable(self.name, "the Anthropic API timed out", 504) from exc
        except anthropic.APIConnectionError as exc:
            raise LLMUnavailable(self.name, "the Anthropic API is unreachable", 503) from exc
        except anthropic.APIStatusError as exc:
            raise LLMUnavailable(
                self.name, f"the Anthropic API answered {exc.status_code}", 502
            ) from exc
        proposal = _give_up(self.name, self.model, errors, self.max_attempts)
        proposal.tokens_in, proposal.tokens_out, proposal.streamed = tokens_in, tokens_out, streamed
        proposal.streamed_text = "".join(streamed_parts)
        proposal.provider_ms = (time.perf_counter() - started) * 1000
        return proposal


# --------------------------------------------------------------------------------------------
# OpenAI and OpenAI-compatible
# --------------------------------------------------------------------------------------------


class OpenAIProvider:
    """OpenAI chat completions: `response_format` json_schema (default) or a forced function tool
    (`mode="tools"`, for compatible servers without structured outputs)."""

    model: str | None

    def __init__(
        self,
        model: str,
        *,
        name: str = "openai",
        api_key: SecretStr | None,
        base_url: str | None = None,
        mode: str = "json_schema",
        max_attempts: int = 3,
        max_tokens: int = 4096,
        timeout_s: float = 60.0,
    ) -> None:
        self.name = name
        self.model = model
        self.api_key = api_key
        self.base_url = base_url
        self.mode = mode
        self.max_attempts = max_attempts
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self._clients: dict[str, openai.AsyncOpenAI] = {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    def _client(self, api_key: SecretStr | None) -> openai.AsyncOpenAI:
        key = api_key or self.api_key
        secret = key.get_secret_value() if key and key.get_secret_value() else "not-set"
        client = self._clients.get(secret)
        if client is None:
            client = openai.AsyncOpenAI(
                api_key=secret,
                base_url=self.base_url or None,
                timeout=self.timeout_s,
                max_retries=1,
            )
            _remember(self._clients, secret, client)
        return client

    async def propose(
        self, turn: TurnInput, on_token: TokenSink | None, api_key: SecretStr | None = None
    ) -> Proposal:
        started = time.perf_counter()
        client = self._client(api_key)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(turn)}]
        messages += [{"role": role, "content": content} for role, content in turn.history]
        messages.append({"role": "user", "content": user_content(turn.message)})
        extra: dict[str, Any]
        if self.mode == "tools":
            extra = {
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": TOOL_NAME,
                            "description": TOOL_DESCRIPTION,
                            "parameters": response_schema(),
                        },
                    }
                ],
                "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
            }
        else:
            extra = {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "strategy_turn",
                        "description": TOOL_DESCRIPTION,
                        "schema": response_schema(),
                        "strict": False,
                    },
                }
            }
        tokens_in = tokens_out = 0
        errors: list[str] = []
        streamed = False
        streamed_parts: list[str] = []
        try:
            for attempt in range(1, self.max_attempts + 1):
                streamer = ReplyFieldStreamer()
                content = ""
                tool_args = ""
                tool_id: str | None = None
                complete: Any = client.chat.completions.create
                stream = await complete(
                    model=self.model,
                    messages=messages,
                    max_tokens=self.max_tokens,
                    stream=True,
                    stream_options={"include_usage": True},
                    **extra,
                )
                async for chunk in stream:
                    if chunk.usage is not None:
                        tokens_in += int(chunk.usage.prompt_tokens or 0)
                        tokens_out += int(chunk.usage.completion_tokens or 0)
                    for choice in chunk.choices:
                        delta = choice.delta
                        piece_src = ""
                        if delta.content:
                            content += delta.content
                            piece_src = delta.content
                        for call in delta.tool_calls or []:
                            if call.id:
                                tool_id = call.id
                            if call.function is not None and call.function.arguments:
                                tool_args += call.function.arguments
                                piece_src += call.function.arguments
                        if piece_src:
                            piece = streamer.feed(piece_src)
                            if piece and on_token is not None and attempt == 1:
                                streamed = True
                                streamed_parts.append(piece)
                                await on_token(piece)
                raw = tool_args if self.mode == "tools" else content
                try:
                    envelope = json.loads(raw or "null")
                except ValueError:
                    envelope = None
                intent, reply, clarification, checked, errors = validate_envelope(envelope)
                if not errors:
                    return Proposal(
                        intent=intent,
                        reply=reply,
                        checked=checked,
                        clarification=clarification,
                        warnings=_model_warnings(turn.message, envelope),
                        provider=self.name,
                        model=self.model,
                        tokens_in=tokens_in,
                        tokens_out=tokens_out,
                        attempts=attempt,
                        streamed=streamed,
                        streamed_text="".join(streamed_parts),
                        provider_ms=(time.perf_counter() - started) * 1000,
                    )
                log.info("%s answer invalid (attempt %d): %s", self.name, attempt, errors[:3])
                if self.mode == "tools":
                    call_id = tool_id or f"call_{attempt}"
                    messages.append(
                        {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": call_id,
                                    "type": "function",
                                    "function": {"name": TOOL_NAME, "arguments": raw or "{}"},
                                }
                            ],
                        }
                    )
                    messages.append(
                        {"role": "tool", "tool_call_id": call_id, "content": retry_feedback(errors)}
                    )
                else:
                    messages.append({"role": "assistant", "content": raw or ""})
                    messages.append({"role": "user", "content": retry_feedback(errors)})
        except openai.APITimeoutError as exc:
            raise LLMUnavailable(self.name, f"the {self.name} API timed out", 504) from exc
        except openai.APIConnectionError as exc:
            raise LLMUnavailable(self.name, f"the {self.name} API is unreachable", 503) from exc
        except openai.APIStatusError as exc:
            raise LLMUnavailable(
                self.name, f"the {self.name} API answered {exc.status_code}", 502
            ) from exc
        proposal = _give_up(self.name, self.model, errors, self.max_attempts)
        proposal.tokens_in, proposal.tokens_out, proposal.streamed = tokens_in, tokens_out, streamed
        proposal.streamed_text = "".join(streamed_parts)
        proposal.provider_ms = (time.perf_counter() - started) * 1000
        return proposal
