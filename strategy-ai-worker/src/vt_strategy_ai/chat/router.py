"""POST /chat (JSON or SSE) and GET /conversations/{id}."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from vt_contracts import Problem
from vt_kit import NotFound, ProblemError, SessionDep, get_session
from vt_kit.context import correlation_id_var
from vt_kit.problems import PROBLEM_BASE
from vt_strategy_ai.chat.service import chat_turn
from vt_strategy_ai.deps import INTERNAL, ClientsDep, ProviderDep, SettingsDep, UserId
from vt_strategy_ai.schemas import ChatReply, ChatRequest, ConversationRead, MessageRead
from vt_strategy_ai.strategies import repository as repo

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"], dependencies=INTERNAL)

_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.post(
    "/chat",
    response_model=ChatReply,
    summary="One chat turn: a message becomes a validated, explained StrategySpec",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat(
    body: ChatRequest,
    request: Request,
    user_id: UserId,
    provider: ProviderDep,
    clients: ClientsDep,
    settings: SettingsDep,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    if accept and "text/event-stream" in accept:
        return StreamingResponse(
            _stream(request, body, user_id, provider, clients, settings),
            media_type="text/event-stream",
            headers=_SSE_HEADERS,
        )
    sessions = get_session(request)
    session = await anext(sessions)
    try:
        reply = await chat_turn(
            session, user_id, body, provider=provider, clients=clients, settings=settings
        )
    except BaseException as exc:
        await _finish(sessions, exc)
        raise
    await _finish(sessions, None)
    return reply


async def _finish(sessions: AsyncIterator[Any], exc: BaseException | None) -> None:
    """End the request-scoped session exactly as the request dependency does (commit or rollback)."""
    if exc is None:
        try:
            await anext(sessions)
        except StopAsyncIteration:
            return
    else:
        athrow = getattr(sessions, "athrow", None)
        if athrow is None:
            return
        try:
            await athrow(exc)
        except BaseException:  # the generator re-raises after rollback
            return


async def _stream(
    request: Request,
    body: ChatRequest,
    user_id: uuid.UUID,
    provider: Any,
    clients: Any,
    settings: Any,
) -> AsyncIterator[bytes]:
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cid = correlation_id_var.get()

    async def on_token(text: str) -> None:
        if text:
            await queue.put(("token", {"text": text}))

    async def run() -> None:
        correlation_id_var.set(cid)
        sessions = get_session(request)
        session = await anext(sessions)
        try:
            reply = await chat_turn(
                session,
                user_id,
                body,
                provider=provider,
                clients=clients,
                settings=settings,
                on_token=on_token,
            )
        except (
            asyncio.CancelledError
        ) as exc:  # the client went away: roll back, release the session
            await _finish(sessions, exc)
            raise
        except ProblemError as exc:
            await _finish(sessions, exc)
            problem = exc.to_problem(instance=request.url.path)
            await queue.put(("error", problem.model_dump(mode="json", exclude_none=True)))
            return
        except Exception as exc:
            await _finish(sessions, exc)
            log.exception("chat stream failed")
            problem = Problem(
                type=PROBLEM_BASE + "internal",
                title="Internal error",
                status=500,
                detail="Something went wrong on our side. Quote the correlation id if you report it.",
                instance=request.url.path,
                correlation_id=cid,
            )
            await queue.put(("error", problem.model_dump(mode="json", exclude_none=True)))
            return
        await _finish(sessions, None)
        await queue.put(("result", reply.model_dump(mode="json")))

    task = asyncio.create_task(run())
    try:
        while True:
            event, data = await queue.get()
            yield _sse(event, data)
            if event in ("result", "error"):
                break
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationRead,
    summary="A conversation with its messages",
)
async def get_conversation(
    conversation_id: uuid.UUID, session: SessionDep, user_id: UserId
) -> ConversationRead:
    conversation = await repo.get_conversation(session, user_id, conversation_id)
    if conversation is None:
        raise NotFound(f"There is no conversation {conversation_id} for this user.")
    messages = await repo.messages_of(session, conversation.id)
    return ConversationRead(
        id=conversation.id,
        title=conversation.title,
        strategy_id=conversation.strategy_id,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        messages=[
            MessageRead(
                id=m.id,
                role=m.role,
                content=m.content,
                payload=m.payload,
                strategy_version_id=m.strategy_version_id,
                tokens_in=m.tokens_in,
                tokens_out=m.tokens_out,
                latency_ms=m.latency_ms,
                created_at=m.created_at,
            )
            for m in messages
        ],
    )
