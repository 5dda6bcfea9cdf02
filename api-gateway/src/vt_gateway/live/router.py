"""Live backtest updates: SSE per run and a WebSocket per user, fanned out from Redis pub/sub
(`vt:bt:events:{run_id}`, `vt:bt:user:{user_id}`, published by the backtest-engine)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from vt_gateway.backtests import service as backtests
from vt_gateway.deps import ACCESS_COOKIE, CurrentUser, Principal, UpstreamsDep, authenticate
from vt_gateway.errors import UPSTREAM, authed
from vt_gateway.settings import Settings
from vt_kit import ProblemError, Unauthorized

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

KEEPALIVE_SECONDS = 15.0
WS_SUBPROTOCOL = "vt.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def _next_message(pubsub: PubSub, wait_seconds: float) -> dict[str, Any] | None:
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait_seconds)
    if message is None or message.get("type") != "message":
        return None
    try:
        data = orjson.loads(message["data"])
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


async def _close(pubsub: PubSub) -> None:
    await pubsub.aclose()  # type: ignore[no-untyped-call]


@router.get(
    "/backtest/{run_id}/events",
    summary="Live status of one run (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        **authed(404, *UPSTREAM),
        200: {
            "description": "`status` events `{id, status, progress, error?}`: the current state first, then every change; the stream ends after succeeded or failed. Comment lines keep the connection alive.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def run_events(
    run_id: Annotated[uuid.UUID, Path()], principal: CurrentUser, up: UpstreamsDep, request: Request
) -> StreamingResponse:
    redis: Redis = request.app.state.redis
    pubsub = redis.pubsub()
    # subscribe before reading the state so no change can slip between the two
    await pubsub.subscribe(f"vt:bt:events:{run_id}")
    try:
        content = await backtests.get_run(
            up, request.app.state.run_cache, principal.user_id, str(run_id)
        )
    except BaseException:
        await _close(pubsub)
        raise
    first = backtests.status_of(content)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield _sse("status", first)
            if first.get("status") in backtests.FINISHED:
                return
            while True:
                if await request.is_disconnected():
                    return
                event = await _next_message(pubsub, KEEPALIVE_SECONDS)
                if event is None:
                    yield b": keep-alive\n\n"
                    continue
                yield _sse("status", event)
                if event.get("status") in backtests.FINISHED:
                    return
        finally:
            await _close(pubsub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Cookies ride along on cross-site WebSocket handshakes: only our own origin (or a configured
    CORS origin) may open one with a cookie."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    own = {f"http://{host}", f"https://{host}"}
    return origin in own or origin in settings.cors_origins


@router.websocket("/ws/backtests")
async def backtest_socket(websocket: WebSocket) -> None:
    """Every status change of the caller's runs as JSON text frames `{id, status, progress, error?}`.

    Authenticate with the `vt_access` cookie (browsers, same origin) or the subprotocols
    `["vt.v1", "bearer.<access_token>"]` (scripts). Close codes: 4401 unauthenticated, 4403 origin.
    """
    app = websocket.app
    settings: Settings = app.state.settings
    offered = [
        p.strip()
        for p in websocket.headers.get("sec-websocket-protocol", "").split(",")
        if p.strip()
    ]
    bearer = next(
        (
            p[len(BEARER_SUBPROTOCOL_PREFIX) :]
            for p in offered
            if p.startswith(BEARER_SUBPROTOCOL_PREFIX)
        ),
        None,
    )
    token = bearer or websocket.cookies.get(ACCESS_COOKIE)
    subprotocol = WS_SUBPROTOCOL if WS_SUBPROTOCOL in offered else None
    if bearer is None and not _origin_allowed(websocket, settings):
        await websocket.close(code=4403, reason="origin not allowed")
        return
    principal: Principal | None = None
    if token:
        with contextlib.suppress(Unauthorized):
            principal = await authenticate(token, bearer is None, app.state.tokens, app.state.redis)
    if principal is None:
        await websocket.close(code=4401, reason="authentication required")
        return
    limiter = app.state.limiter
    try:
        await limiter.check([(limiter.user, principal.user_id)], "API")
    except ProblemError:
        await websocket.close(code=4429, reason="rate limited")
        return
    await websocket.accept(subprotocol=subprotocol)
    redis: Redis = app.state.redis
    pubsub = redis.pubsub()
    await pubsub.subscribe(f"vt:bt:user:{principal.user_id}")

    async def pump() -> None:
        while True:
            event = await _next_message(pubsub, KEEPALIVE_SECONDS)
            if event is not None:
                await websocket.send_text(orjson.dumps(event).decode())

    async def drain() -> None:
        # the client sends nothing we act on; reading notices the disconnect
        while True:
            await websocket.receive_text()

    tasks = [asyncio.create_task(pump()), asyncio.create_task(drain())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await _close(pubsub)
        with contextlib.suppress(Exception):
            await websocket.close()
