"""Run a service app with uvicorn (used by each service's `__main__`)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from vt_kit.settings import ServiceSettings


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve `app` on the configured host and port; logs are already JSON."""
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
    )
