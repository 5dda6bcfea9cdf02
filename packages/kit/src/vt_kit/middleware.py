"""Pure-ASGI middleware: correlation ids, body size limits, access logs (cheap on the hot path)."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vt_contracts.problem import Problem
from vt_kit.context import CORRELATION_HEADER, correlation_id_var, user_id_var

log = logging.getLogger("vt.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class CorrelationIdMiddleware:
    """Accept a sane `X-Correlation-ID` or create one; expose it to logs and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._header = CORRELATION_HEADER.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == self._header), None
        )
        cid = incoming if incoming and _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = correlation_id_var.set(cid)
        user_token = user_id_var.set(None)
        started = time.perf_counter()
        status_holder = {"status": 0}
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((self._header, cid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Render the 500 here, inside the correlation context, so the body and the header
            # carry the id the user can quote. Internals stay in the log only.
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started_response or scope["type"] != "http":
                raise
            await send_with_id(_problem_start(500))
            await send_with_id(
                {"type": "http.response.body", "body": _internal_error_body(scope, cid)}
            )
        finally:
            if scope["type"] == "http" and scope.get("path") not in ("/health", "/ready"):
                log.info(
                    "%s %s -> %s in %.1f ms",
                    scope.get("method"),
                    scope.get("path"),
                    status_holder["status"],
                    (time.perf_counter() - started) * 1000,
                )
            correlation_id_var.reset(token)
            user_id_var.reset(user_token)


def _problem_start(status: int) -> Message:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/problem+json")],
    }


def _internal_error_body(scope: Scope, cid: str) -> bytes:
    problem = Problem(
        type="https://vibetrading.dev/problems/internal",
        title="Internal error",
        status=500,
        detail="Something went wrong on our side. Quote the correlation id if you report it.",
        instance=scope.get("path"),
        correlation_id=cid,
    )
    return problem.model_dump_json(exclude_none=True).encode()


class BodySizeLimitMiddleware:
    """Refuse request bodies above `max_bytes` with a 413 problem, before they are read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, send)
            return
        received = 0
        too_big = False

        async def limited_receive() -> Message:
            nonlocal received, too_big
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_big = True
                    raise _BodyTooLarge
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_big:
                return  # the app's answer to a cut-off body (e.g. a 400 parse error) is replaced
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if too_big and not started:
            await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        problem = Problem(
            type="https://vibetrading.dev/problems/payload-too-large",
            title="Payload too large",
            status=413,
            detail=f"The request body is larger than {self.max_bytes:,} bytes. Send less data (split an upload or shorten the message).",
            instance=scope.get("path"),
            correlation_id=correlation_id_var.get(),
        )
        body = problem.model_dump_json(exclude_none=True).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass
