# One image recipe for every Python service. Build with, e.g.:
#   docker build -f docker/python.Dockerfile --build-arg SERVICE_PACKAGE=vt-backtest --build-arg SERVICE_MODULE=vt_backtest .
# Multi-stage: uv resolves the locked workspace in the build stage; the runtime stage holds only
# the virtual environment and runs as a non-root user.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
COPY --from=ghcr.io/astral-sh/uv:0.9.5 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
ARG SERVICE_PACKAGE=vt-gateway
COPY . .
RUN uv sync --frozen --no-dev --no-editable --package "${SERVICE_PACKAGE}"

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE_MODULE=vt_gateway
ARG SERVICE_PORT=8000
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE_MODULE=${SERVICE_MODULE} \
    SERVICE_PORT=${SERVICE_PORT} \
    HOST=0.0.0.0 \
    PORT=${SERVICE_PORT} \
    NUMBA_CACHE_DIR=/opt/numba-cache \
    VT_ENV=production
RUN groupadd --system --gid 10001 vt \
    && useradd --system --uid 10001 --gid vt --home-dir /home/vt --create-home vt \
    && mkdir -p /opt/numba-cache /app/var \
    && chown -R vt:vt /opt/numba-cache /app/var
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
# Warm numba's cache inside the image so a fresh backtest worker starts in seconds, not ~40 s.
RUN if [ "${SERVICE_MODULE}" = "vt_backtest" ]; then python -c "import vt_engine; vt_engine.warmup()"; fi
EXPOSE ${SERVICE_PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=5 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/ready\", timeout=2)"]
CMD ["sh", "-c", "exec python -m \"$SERVICE_MODULE\""]
