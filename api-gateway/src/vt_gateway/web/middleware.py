"""Pure-ASGI middleware of the gateway: security headers and per-path body size limits."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vt_kit.middleware import BodySizeLimitMiddleware

# the app (a static export) runs inline bootstrap scripts, so script-src needs 'unsafe-inline';
# everything else is same-origin only
APP_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """nosniff, no referrer leaks, no framing, a CSP fitting the response, HSTS when secure."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            common.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.common = common

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith("/api/") or path in ("/health", "/ready", "/openapi.json"):
            csp = API_CSP
        elif path.startswith(("/docs", "/redoc")):
            csp = DOCS_CSP
        else:
            csp = APP_CSP
        extra = [*self.common, (b"content-security-policy", csp.encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PathBodyLimitMiddleware:
    """A small limit for JSON bodies, a larger one for uploads."""

    def __init__(
        self, app: ASGIApp, *, default_bytes: int, upload_bytes: int, upload_prefix: str
    ) -> None:
        self.app = app
        self.small = BodySizeLimitMiddleware(app, max_bytes=default_bytes)
        self.large = BodySizeLimitMiddleware(app, max_bytes=upload_bytes)
        self.upload_prefix = upload_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").startswith(self.upload_prefix):
            await self.large(scope, receive, send)
        else:
            await self.small(scope, receive, send)
