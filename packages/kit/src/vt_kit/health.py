"""Liveness (`/health`) and readiness (`/ready`) routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

# A check raises when its dependency is unusable; it may return a short detail for the report.
ReadinessCheck = Callable[[], Awaitable[str | None]]


class Health(BaseModel):
    status: str
    service: str
    version: str


class Readiness(BaseModel):
    status: str
    service: str
    checks: dict[str, str]


def health_router(
    service: str, version: str, checks: Callable[[], dict[str, ReadinessCheck]]
) -> APIRouter:
    """`/health` answers while the process runs; `/ready` runs every dependency check (2 s each)."""
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health, summary="Liveness")
    async def health() -> Health:
        return Health(status="ok", service=service, version=version)

    @router.get(
        "/ready",
        response_model=Readiness,
        summary="Readiness",
        responses={503: {"model": Readiness}},
    )
    async def ready() -> JSONResponse:
        results: dict[str, str] = {}

        async def run(name: str, check: ReadinessCheck) -> None:
            started = time.perf_counter()
            try:
                detail = await asyncio.wait_for(check(), timeout=2.0)
                results[name] = f"ok ({(time.perf_counter() - started) * 1000:.0f} ms)"
                if detail:
                    results[name] += f": {detail}"
            except Exception as exc:  # a failing dependency is reported, not raised
                results[name] = f"failed: {type(exc).__name__}"

        await asyncio.gather(*(run(n, c) for n, c in checks().items()))
        ok = all(v.startswith("ok") for v in results.values())
        body = Readiness(status="ready" if ok else "not_ready", service=service, checks=results)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    return router
