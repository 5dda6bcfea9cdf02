# The reverse proxy image: builds the Next.js static export and serves it with Caddy, which also
# proxies /api/ (and WebSockets) to the gateway.
FROM node:20.18.1-bookworm-slim AS build
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
ENV NEXT_TELEMETRY_DISABLED=1
RUN npx next build

FROM caddy:2.8.4-alpine AS runtime
COPY docker/Caddyfile /etc/caddy/Caddyfile
COPY --from=build /src/frontend/out /srv
EXPOSE 80 443
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1/healthz"]
