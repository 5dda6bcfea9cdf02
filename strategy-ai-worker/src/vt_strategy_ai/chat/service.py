"""One chat turn: message -> provider proposal -> validated spec -> code, safety report,
explanation -> stored strategy version and conversation messages -> ChatReply."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts import StrategySpec
from vt_db.models import Conversation, ConversationMessage, Strategy, StrategyVersion
from vt_kit import NotFound, Unavailable, UpstreamError, UpstreamTimeout
from vt_strategy_ai.clients import UpstreamClients, symbols_of, unknown_symbols_text
from vt_strategy_ai.llm.base import Proposal, Provider, TokenSink, TurnInput
from vt_strategy_ai.llm.providers import LLMUnavailable, OfflineProvider
from vt_strategy_ai.nlp.parser import MAX_MESSAGE_CHARS, prescreen
from vt_strategy_ai.nlp.text import Text, find_symbols
from vt_strategy_ai.schemas import (
    ChatReply,
    ChatRequest,
    DiffEntry,
    Explanation,
    SafetyReport,
    Usage,
)
from vt_strategy_ai.settings import Settings
from vt_strategy_ai.spec.analysis import Analysis, analyse
from vt_strategy_ai.spec.artifacts import check_user_code, diff_specs
from vt_strategy_ai.strategies import repository as repo
from vt_strategy_ai.strategies import service as strategies

log = logging.getLogger(__name__)

HISTORY_TURNS = 10
_STORED_MESSAGE_CHARS = 20_000


_PASTED_CODE = re.compile(r"^\s*(?:def|import|from)\s+\w+|```", re.MULTILINE)


def _prescreen(message: str, *, english_only: bool) -> Proposal | None:
    """Answers that need no model: empty, oversized, injection attempts, non-English, pasted code."""
    if _PASTED_CODE.search(message) and "generate_signals" in message:
        source = message
        if "```" in source:
            inner = re.findall(r"```(?:python|py)?\n?(.*?)```", source, re.DOTALL)
            source = inner[0] if inner else source.replace("```", "")
        report = check_user_code(source)
        verdict = (
            "passed the sandbox's static checks"
            if report.ok
            else f"does not pass the sandbox's static checks ({len(report.violations)} finding(s): "
            + "; ".join(f"line {v.line}: {v.message}" for v in report.violations[:5])
            + ")"
        )
        return Proposal(
            intent="code",
            reply=(
                f"The code you pasted {verdict}. Custom code is never run here; the backtest service runs it only in the sandbox "
                "(static policy, RestrictedPython, an isolated process without network). To build a strategy from a description instead, describe the rules."
            ),
            provider="prescreen",
            code_report=report,
        )
    parsed = prescreen(message, english_only=english_only)
    if parsed is None:
        return None
    return Proposal(
        intent=parsed.intent,
        reply=parsed.answer or parsed.clarification or "",
        clarification=parsed.clarification,
        provider="prescreen",
        model=None,
    )


def _compose(
    proposal: Proposal,
    spec: StrategySpec | None,
    analysis: Analysis | None,
    diff: list[DiffEntry],
    warnings: list[str],
    version: int | None,
) -> str:
    parts: list[str] = []
    if spec is None or analysis is None:
        return proposal.reply or proposal.clarification or "I could not build a strategy from that."
    if proposal.intent == "modify" and diff:
        changed = ", ".join(d.path for d in diff[:6]) + ("…" if len(diff) > 6 else "")
        parts.append(f"Updated the strategy (version {version}): changed {changed}.")
    elif proposal.intent == "modify":
        parts.append(
            "Nothing changed (the warnings below say why)."
            if warnings
            else "Nothing changed: I did not find an edit in that message. Try e.g. 'make the stop 3%' or 'use EMA instead'."
        )
    else:
        parts.append(f"Here is your strategy, '{spec.name}' (version {version}).")
    parts.append(analysis.explanation.summary)
    if proposal.assumptions:
        parts.append("Assumptions: " + " ".join(proposal.assumptions))
    if warnings:
        parts.append("Warnings: " + " ".join(warnings))
    parts.append(analysis.explanation.signal_frequency.detail)
    return "\n\n".join(parts)


async def _stream_text(text: str, on_token: TokenSink | None, chunk: int) -> None:
    if on_token is None:
        return
    for i in range(0, len(text), chunk):
        await on_token(text[i : i + chunk])


def _guess_symbol(message: str, current: dict[str, Any] | None) -> str | None:
    if current:
        symbols = current.get("universe", {}).get("symbols", [])
        if symbols:
            return str(symbols[0])
    hits = find_symbols(Text(message[:MAX_MESSAGE_CHARS]))
    return hits[0].symbol if hits else None


_CLARIFYING = ("clarify", "unsupported", "invalid")
PENDING_TURNS = 4
_UNKNOWN_MARK = "No market-data provider knows"
_QUOTED = re.compile(r"'([^']+)'")


def _unknown_symbols_question(unknown: list[str], matches: dict[str, list[str]]) -> str:
    return unknown_symbols_text(unknown, matches) + " Which symbol should I use instead?"


def _pending_request(stored: list[ConversationMessage]) -> list[str]:
    """User messages of a request still being clarified: those answered by a clarifying question
    (or a 'could not build' reply), most recent run only, oldest first."""
    pending: list[str] = []
    i = len(stored) - 1
    while i >= 1 and len(pending) < PENDING_TURNS:
        reply, asked = stored[i], stored[i - 1]
        intent = (reply.payload or {}).get("intent") if reply.role == "assistant" else None
        if intent not in _CLARIFYING or asked.role != "user":
            break
        text = asked.content[:MAX_MESSAGE_CHARS]
        if _UNKNOWN_MARK in reply.content:
            sentence = reply.content[reply.content.index(_UNKNOWN_MARK) :].split(" so I ", 1)[0]
            for sym in _QUOTED.findall(sentence):
                text = re.sub(rf"(?<![\w^/:.]){re.escape(sym)}(?![\w/])", " ", text, flags=re.I)
                base = sym.split("/")[0]
                text = re.sub(rf"(?<![\w^/:.]){re.escape(base)}(?![\w/])", " ", text, flags=re.I)
        pending.insert(0, text)
        i -= 2
    return pending


async def chat_turn(
    session: AsyncSession,
    user_id: uuid.UUID,
    request: ChatRequest,
    *,
    provider: Provider,
    clients: UpstreamClients | None,
    settings: Settings,
    on_token: TokenSink | None = None,
    api_key: Any = None,
) -> ChatReply:
    started = time.perf_counter()
    received_at = datetime.now(UTC)
    if not await repo.user_exists(session, user_id):
        raise NotFound("The acting user does not exist.")
    conversation: Conversation | None = None
    strategy: Strategy | None = None
    history: list[tuple[str, str]] = []
    pending: list[str] = []
    if request.conversation_id is not None:
        conversation = await repo.get_conversation(session, user_id, request.conversation_id)
        if conversation is None:
            raise NotFound(f"There is no conversation {request.conversation_id} for this user.")
        if conversation.strategy_id is not None:
            strategy = await repo.get_strategy(
                session, user_id, conversation.strategy_id, lock=True
            )
        stored = await repo.messages_of(session, conversation.id)
        for m in stored[-2 * HISTORY_TURNS :]:
            if m.role in ("user", "assistant"):
                history.append((m.role, m.content[:4000]))
        if strategy is None:
            pending = _pending_request(stored)
    elif request.strategy_id is not None:
        strategy = await repo.get_strategy(session, user_id, request.strategy_id, lock=True)
        if strategy is None:
            raise NotFound(f"There is no strategy {request.strategy_id} for this user.")
    current_spec = strategy.spec if strategy is not None else None
    message = request.message

    proposal = _prescreen(message, english_only=isinstance(provider, OfflineProvider))
    insight: dict[str, Any] | None = None
    if proposal is None:
        if not isinstance(provider, OfflineProvider) and clients is not None:
            symbol = _guess_symbol(message, current_spec)
            if symbol:
                insight = await clients.insight(symbol, str(user_id))
        turn = TurnInput(
            message=message,
            current_spec=current_spec,
            history=history,
            insight=insight,
            pending=pending,
        )
        try:
            proposal = await provider.propose(turn, on_token, api_key)
        except LLMUnavailable as exc:
            cls = {503: Unavailable, 504: UpstreamTimeout}.get(exc.status, UpstreamError)
            raise cls(
                f"The language model provider failed: {exc.message}. Try again, or switch LLM_PROVIDER to offline.",
                service=exc.provider,
            ) from exc

    checked = proposal.checked
    spec = checked.spec if checked is not None else None
    warnings = list(proposal.warnings) + (list(checked.warnings) if checked is not None else [])
    analysis: Analysis | None = None
    diff: list[DiffEntry] = []
    version_row: StrategyVersion | None = None
    intent = proposal.intent
    prefetched: dict[str, Any] | None = None
    if spec is not None and clients is not None and settings.check_symbols:
        before = symbols_of(strategy.spec) if strategy is not None else set()
        fresh = [s for s in sorted(symbols_of(spec.model_dump(mode="json"))) if s not in before]
        check = await clients.check_symbols(spec, fresh, str(user_id))
        prefetched = check.frames
        warnings.extend(
            f"I could not check the symbol '{sym}' ({why}); the backtest will tell whether data exists."
            for sym, why in check.unverified.items()
        )
        if check.unknown:
            question = _unknown_symbols_question(check.unknown, check.matches)
            proposal.intent, proposal.reply, proposal.clarification = "clarify", question, question
            intent, spec = "clarify", None
            # the checks' notes were about a spec that is not saved
            warnings = list(proposal.warnings) + [w for w in warnings if "could not check" in w]
    if spec is not None:
        if intent == "modify" and strategy is None:
            intent = "new"
        if intent == "new" and strategy is not None and request.strategy_id is not None:
            intent = "modify"  # the editor's words panel always edits the open strategy
        if intent not in ("new", "modify"):
            intent = "modify" if strategy is not None else "new"
        if insight is None and clients is not None:
            insight_task = asyncio.create_task(
                clients.insight(spec.universe.symbols[0], str(user_id))
            )
        else:
            insight_task = None
        analysis = await analyse(
            spec,
            clients=clients,
            user_id=str(user_id),
            frequency=settings.signal_frequency,
            prefetched=prefetched,
        )
        if insight_task is not None:
            insight = await insight_task
        if insight is not None:
            analysis.explanation.market_insight = insight
        if intent == "modify" and strategy is not None:
            diff = diff_specs(strategy.spec, spec.model_dump(mode="json"))
            if diff:
                version_row = await strategies.add_version(
                    session, strategy, spec, analysis, diff, source="chat"
                )
        else:
            strategy, version_row = await strategies.create_strategy(
                session, user_id, spec, analysis, source="chat"
            )

    if conversation is None:
        title = spec.name if spec is not None else (message.strip()[:80] or "New conversation")
        conversation = await repo.add_conversation(
            session,
            Conversation(
                user_id=user_id, title=title[:200], strategy_id=strategy.id if strategy else None
            ),
        )
    elif strategy is not None and conversation.strategy_id != strategy.id:
        conversation.strategy_id = strategy.id
        await repo.touch(session, conversation)

    version_number = (
        strategy.current_version if (strategy is not None and spec is not None) else None
    )
    reply_text = _compose(proposal, spec, analysis, diff, warnings, version_number)
    llm = proposal.provider not in ("offline", "prescreen")
    if proposal.streamed:
        # the model's reply already streamed token by token; stream what we add to it
        if spec is not None or proposal.streamed_text != reply_text:
            await _stream_text("\n\n" + reply_text, on_token, settings.stream_chunk_chars)
            reply_text = proposal.streamed_text + "\n\n" + reply_text
    else:
        if llm and spec is not None and proposal.reply:
            reply_text = proposal.reply + "\n\n" + reply_text
        await _stream_text(reply_text, on_token, settings.stream_chunk_chars)

    latency_ms = (time.perf_counter() - started) * 1000
    usage = Usage(
        provider=proposal.provider,
        model=proposal.model,
        tokens_in=proposal.tokens_in,
        tokens_out=proposal.tokens_out,
        latency_ms=round(latency_ms, 2),
        attempts=proposal.attempts,
    )
    reply = ChatReply(
        conversation_id=conversation.id,
        reply=reply_text,
        intent=intent,  # type: ignore[arg-type]
        strategy_id=strategy.id if (strategy is not None and spec is not None) else None,
        version=version_number,
        spec=spec.model_dump(mode="json") if spec is not None else None,
        code=analysis.code if analysis else None,
        explanation=analysis.explanation if analysis else None,
        warnings=warnings,
        assumptions=list(proposal.assumptions),
        clarification=proposal.clarification if spec is None else None,
        diff=diff,
        safety_report=analysis.safety if analysis else proposal.code_report,
        usage=usage,
    )
    if spec is None and strategy is not None and intent == "question":
        # a question about the conversation's strategy: answer with its current version
        row = await repo.get_version(session, strategy.id, strategy.current_version)
        if row is not None:
            reply.strategy_id, reply.version, reply.spec, reply.code = (
                strategy.id,
                row.version,
                row.spec,
                row.code,
            )
            if row.explanation:
                reply.explanation = Explanation.model_validate(row.explanation)
            if row.safety_report:
                reply.safety_report = SafetyReport.model_validate(row.safety_report)
    await repo.add_message(
        session,
        ConversationMessage(
            conversation_id=conversation.id,
            role="user",
            content=message[:_STORED_MESSAGE_CHARS],
            created_at=received_at,
        ),
    )
    await repo.add_message(
        session,
        ConversationMessage(
            conversation_id=conversation.id,
            role="assistant",
            content=reply_text,
            payload=reply.model_dump(mode="json"),
            strategy_version_id=version_row.id if version_row is not None else None,
            tokens_in=proposal.tokens_in,
            tokens_out=proposal.tokens_out,
            latency_ms=round(latency_ms, 2),
            created_at=max(datetime.now(UTC), received_at + timedelta(microseconds=1)),
        ),
    )
    log.info(
        "chat turn intent=%s provider=%s model=%s attempts=%d tokens_in=%s tokens_out=%s latency_ms=%.1f provider_ms=%.1f",
        intent,
        proposal.provider,
        proposal.model,
        proposal.attempts,
        proposal.tokens_in,
        proposal.tokens_out,
        latency_ms,
        proposal.provider_ms,
    )
    return reply
