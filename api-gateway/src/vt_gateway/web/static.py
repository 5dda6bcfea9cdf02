"""Serve the built front end (a Next.js static export) at `/`: one origin for app, API and
WebSocket. `/foo` -> foo.html or foo/index.html; unknown paths -> 404.html (status 404) or the
index; `/_next/static/*` is content-hashed and cached for a year."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from vt_kit import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VibeTrading</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>VibeTrading API gateway</h1>
<p>The web app is not built yet. Build it with <code>make frontend</code> (or point
<code>VT_FRONTEND_DIR</code> at a Next.js static export) and restart the gateway.</p>
<p>The API is up: see <a href="/docs">/docs</a> and <a href="/openapi.json">/openapi.json</a>,
or use the <code>vt</code> command-line tool.</p>
</body></html>
"""


def _resolve(root: Path, path: str) -> Path | None:
    """Find the file for a URL path inside `root`, never outside it."""
    clean = path.strip("/")
    candidates = (
        [root / "index.html"]
        if not clean
        else [root / clean, root / f"{clean}.html", root / clean / "index.html"]
    )
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if resolved.is_relative_to(root) and resolved.is_file():
            return resolved
    return None


def frontend_router(frontend_dir: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    root = frontend_dir.resolve()

    @router.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    async def serve(path: str, request: Request) -> Response:
        if (
            request.method not in ("GET", "HEAD")
            or path.startswith(("api/", "ws/"))
            or path == "api"
        ):
            raise NotFound(
                f"There is nothing at {request.url.path}. Check the path against the API reference (/docs)."
            )
        if not root.is_dir():
            if path in ("", "index.html"):
                return HTMLResponse(NOT_BUILT)
            raise NotFound(
                f"There is nothing at {request.url.path}. The web app is not built (make frontend)."
            )
        found = _resolve(root, path)
        if found is not None:
            cache = IMMUTABLE if path.startswith("_next/static/") else REVALIDATE
            return FileResponse(found, headers={"Cache-Control": cache})
        if path.startswith("_next/"):
            raise NotFound(f"There is no asset at {request.url.path}.")
        fallback = root / "404.html"
        if fallback.is_file():
            return FileResponse(fallback, status_code=404, headers={"Cache-Control": REVALIDATE})
        index = root / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": REVALIDATE})
        raise NotFound(f"There is nothing at {request.url.path}.")

    return router
