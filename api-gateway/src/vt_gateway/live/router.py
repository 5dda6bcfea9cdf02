"""Live updates fanned out from Redis pub/sub.

- Backtests: `vt:bt:events:{run_id}` (SSE per run) and `vt:bt:user:{user_id}`, published by the
  backtest-engine as `{id, status, progress, error?}`.
- Trading: `vt:trading:user:{user_id}`, published by both trading services (paper and live) as
  `{"type": "deployment"|"order"|"fill"|"target"|"risk", "environment", "data": {...}}`.

The per-user WebSocket `/ws/backtests` carries both, every frame typed (`type: "backtest"` for
a run's status); `GET /trading/events` is the per-user SSE stream of the trading events. Every
channel is per user, so a connection only ever sees its own user's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, WebSocket, WebSocketDisconnect
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
    found = await _next_on(pubsub, wait_seconds)
    return found[1] if found is not None else None


async def _next_on(pubsub: PubSub, wait_seconds: float) -> tuple[str, dict[str, Any]] | None:
    """(channel, JSON object) of the next message; anything else is dropped."""
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait_seconds)
    if message is None or message.get("type") != "message":
        return None
    try:
        data = orjson.loads(message["data"])
    except orjson.JSONDecodeError:
        return None
    channel = message.get("channel")
    name = channel.decode() if isinstance(channel, bytes) else str(channel)
    return (name, data) if isinstance(data, dict) else None


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


TRADING_CHANNEL = "vt:trading:user:{user_id}"
BACKTEST_USER_CHANNEL = "vt:bt:user:{user_id}"
TRADING_TYPES = frozenset({"deployment", "order", "fill", "target", "risk"})


@router.get(
    "/trading/events",
    summary="Live trading updates of all your deployments (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        **authed(),
        200: {
            "description": "Events named by their type (`deployment`, `order`, `fill`, `target`, `risk`), `data` the object as the REST routes return it; `deployment_id` narrows to one deployment. Comment lines keep the connection alive.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def trading_events(
    principal: CurrentUser,
    request: Request,
    deployment_id: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Only this deployment.")
    ] = None,
) -> StreamingResponse:
    redis: Redis = request.app.state.redis
    pubsub = redis.pubsub()
    await pubsub.subscribe(TRADING_CHANNEL.format(user_id=principal.user_id))

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while True:
                if await request.is_disconnected():
                    return
                event = await _next_message(pubsub, KEEPALIVE_SECONDS)
                if event is None:
                    yield b": keep-alive\n\n"
                    continue
                if _trading_event_matches(event, deployment_id):
                    yield _sse(str(event["type"]), event.get("data") or {})
        finally:
            await _close(pubsub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _trading_event_matches(event: dict[str, Any], deployment_id: str | None) -> bool:
    if event.get("type") not in TRADING_TYPES:
        return False
    if deployment_id is None:
        return True
    data = event.get("data")
    if not isinstance(data, dict):
        return False
    # a deployment event carries its own id; orders, fills and targets carry deployment_id
    return deployment_id in (
        data.get("deployment_id"),
        data.get("id") if event["type"] == "deployment" else None,
    )


async def _open_socket(websocket: WebSocket) -> Principal | None:
    """Authenticate and accept a WebSocket (cookie + same origin, or bearer subprotocol)."""
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
        return None
    principal: Principal | None = None
    if token:
        with contextlib.suppress(Unauthorized):
            principal = await authenticate(token, bearer is None, app.state.tokens, app.state.redis)
    if principal is None:
        await websocket.close(code=4401, reason="authentication required")
        return None
    limiter = app.state.limiter
    try:
        await limiter.check([(limiter.user, principal.user_id)], "API")
    except ProblemError:
        await websocket.close(code=4429, reason="rate limited")
        return None
    await websocket.accept(subprotocol=subprotocol)
    return principal


def _user_frame(channel: str, event: dict[str, Any]) -> dict[str, Any] | None:
    """The frame a user's socket sends for a message of one of its channels (None: drop it)."""
    if channel.startswith(BACKTEST_USER_CHANNEL.format(user_id="")):
        return {"type": "backtest", **event}
    return event if event.get("type") in TRADING_TYPES else None


async def _fan_out(websocket: WebSocket, channels: list[str]) -> None:
    """Forward the JSON messages of `channels` as typed text frames until the client goes away."""
    redis: Redis = websocket.app.state.redis
    pubsub = redis.pubsub()
    await pubsub.subscribe(*channels)

    async def pump() -> None:
        while True:
            found = await _next_on(pubsub, KEEPALIVE_SECONDS)
            frame = _user_frame(*found) if found is not None else None
            if frame is not None:
                await websocket.send_text(orjson.dumps(frame).decode())

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


@router.websocket("/ws/backtests")
async def user_socket(websocket: WebSocket) -> None:
    """Your live updates as JSON text frames, each with a `type`:

    - `backtest`: a run's status change `{type, id, status, progress, error?}`;
    - `deployment`, `order`, `fill`, `target`, `risk`: trading events of your deployments and
      accounts, paper and live, `{type, environment, data}` with `data` the object as the REST
      routes return it (docs/trading.md lists them).

    Authenticate with the `vt_access` cookie (browsers, same origin) or the subprotocols
    `["vt.v1", "bearer.<access_token>"]` (scripts). Close codes: 4401 unauthenticated, 4403 origin.
    """
    principal = await _open_socket(websocket)
    if principal is not None:
        await _fan_out(
            websocket,
            [
                BACKTEST_USER_CHANNEL.format(user_id=principal.user_id),
                TRADING_CHANNEL.format(user_id=principal.user_id),
            ],
        )
