"""/api/v1/chat/strategy: one chat turn, as JSON or streamed (SSE) from the strategy-ai-worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import orjson
from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import StreamingResponse

from vt_gateway.chat.schemas import ChatReply, ChatRequest
from vt_gateway.deps import CurrentUser, UpstreamsDep, limit_chat
from vt_gateway.errors import UPSTREAM, authed
from vt_gateway.proxy import relay
from vt_gateway.upstream import Upstream

router = APIRouter(tags=["chat"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.post(
    "/chat/strategy",
    response_model=ChatReply,
    summary="Chat a strategy",
    dependencies=[Depends(limit_chat)],
    responses={
        **authed(404, *UPSTREAM),
        200: {
            "description": 'The reply as JSON, or with `Accept: text/event-stream` an SSE stream of `token` events (`{"text"}`) then one `result` (the ChatReply) or `error` (a problem).',
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def chat(
    body: ChatRequest,
    principal: CurrentUser,
    up: UpstreamsDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Describe or refine a strategy. The reply carries the StrategySpec (null when none could be
    built yet), warnings and, when the assistant needs to know more, a `clarification` question."""
    payload = body.model_dump(mode="json", exclude_none=True)
    if accept and "text/event-stream" in accept:
        return await _stream(payload, principal.user_id, up.strategy_ai)
    reply = await up.strategy_ai.request("POST", "/chat", user_id=principal.user_id, json=payload)
    return relay(reply, status_code=200)


async def _stream(payload: dict[str, object], user_id: str, upstream: Upstream) -> Response:
    response = await upstream.open_stream(
        "POST", "/chat", user_id=user_id, json=payload, accept="text/event-stream"
    )
    if "text/event-stream" not in response.headers.get("content-type", ""):
        await response.aread()
        await response.aclose()
        reply = upstream.check(response, ok=(200,))
        # the worker answered JSON after all: hand it on as one result event
        content = b"event: result\ndata: " + reply.content + b"\n\n"
        return Response(content, media_type="text/event-stream", headers=SSE_HEADERS)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            problem = {
                "type": "https://vibetrading.dev/problems/upstream",
                "title": "Upstream failure",
                "status": 502,
                "detail": f"The {upstream.name} stream broke off. Send the message again.",
                "service": upstream.name,
            }
            yield b"event: error\ndata: " + orjson.dumps(problem) + b"\n\n"
        finally:
            await response.aclose()

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)
