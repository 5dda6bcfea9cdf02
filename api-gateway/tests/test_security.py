"""Rate limits, CSRF on cookie auth, body size limits, CORS, security headers, settings guards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from vt_gateway.settings import Settings
from vt_gateway.testing import PASSWORD, gateway_settings, register_and_login


async def test_auth_rate_limit_answers_429_with_retry_after(make_gateway: Any) -> None:
    client = await make_gateway(
        gateway_settings(RL_AUTH_CAPACITY=3, RL_AUTH_RATE=0.01), client_ip="10.1.1.1"
    )
    other_ip = await make_gateway(
        gateway_settings(RL_AUTH_CAPACITY=3, RL_AUTH_RATE=0.01), client_ip="10.1.1.2"
    )
    body = {"email": "rl@example.com", "password": "wrong password"}
    statuses = [(await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    r = await client.post("/api/v1/auth/login", json=body)
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == 429
    # per IP: another address is not affected
    assert (await other_ip.post("/api/v1/auth/login", json=body)).status_code == 401


async def test_per_user_and_chat_limits(make_gateway: Any) -> None:
    client = await make_gateway(
        gateway_settings(
            RL_USER_CAPACITY=5, RL_USER_RATE=0.01, RL_CHAT_CAPACITY=2, RL_CHAT_RATE=0.01
        )
    )
    alice = await register_and_login(client, "rl-alice@example.com")
    bob = await register_and_login(client, "rl-bob@example.com")
    msg = {"message": "Buy SPY on a golden cross please"}
    assert (await client.post("/api/v1/chat/strategy", json=msg, headers=alice)).status_code == 200
    assert (await client.post("/api/v1/chat/strategy", json=msg, headers=alice)).status_code == 200
    r = await client.post("/api/v1/chat/strategy", json=msg, headers=alice)
    assert r.status_code == 429
    assert "chat" in r.json()["detail"]
    codes = [(await client.get("/api/v1/users/me", headers=alice)).status_code for _ in range(4)]
    assert codes[-1] == 429
    assert "retry-after" in (await client.get("/api/v1/users/me", headers=alice)).headers
    # bob has his own buckets
    assert (await client.get("/api/v1/users/me", headers=bob)).status_code == 200


async def test_per_token_limit(make_gateway: Any) -> None:
    client = await make_gateway(gateway_settings(RL_TOKEN_CAPACITY=2, RL_TOKEN_RATE=0.01))
    first = await register_and_login(client, "tok@example.com")
    assert (await client.get("/api/v1/users/me", headers=first)).status_code == 200
    assert (await client.get("/api/v1/users/me", headers=first)).status_code == 200
    assert (await client.get("/api/v1/users/me", headers=first)).status_code == 429
    r = await client.post(
        "/api/v1/auth/login", json={"email": "tok@example.com", "password": PASSWORD}
    )
    client.cookies.clear()
    second = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/v1/users/me", headers=second)).status_code == 200


async def test_csrf_is_enforced_for_cookie_auth_only(gw: httpx.AsyncClient) -> None:
    await gw.post("/api/v1/auth/register", json={"email": "csrf@example.com", "password": PASSWORD})
    login = await gw.post(
        "/api/v1/auth/login", json={"email": "csrf@example.com", "password": PASSWORD}
    )
    token = login.json()["access_token"]
    csrf = login.cookies["vt_csrf"]
    change = {"default_initial_capital": 1234}
    # cookie auth: safe methods fine, unsafe need the header echoing the cookie
    assert (await gw.get("/api/v1/users/me")).status_code == 200
    r = await gw.patch("/api/v1/users/me/settings", json=change)
    assert r.status_code == 403
    assert r.json()["type"].endswith("/csrf")
    r = await gw.patch("/api/v1/users/me/settings", json=change, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    r = await gw.patch("/api/v1/users/me/settings", json=change, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    r = await gw.post("/api/v1/backtest/run", json={"spec": {}}, headers={"X-CSRF-Token": "nope"})
    assert r.status_code == 403
    # bearer: no CSRF needed (the header cannot be forged cross-site)
    gw.cookies.clear()
    r = await gw.patch(
        "/api/v1/users/me/settings", json=change, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200


async def test_body_size_limits(make_gateway: Any) -> None:
    client = await make_gateway(gateway_settings(MAX_BODY_BYTES=2048, MAX_UPLOAD_BYTES=8192))
    headers = await register_and_login(client)
    r = await client.post(
        "/api/v1/chat/strategy",
        content=b'{"message": "' + b"x" * 4000 + b'"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"

    async def chunks() -> Any:
        for _ in range(4):
            yield b"x" * 1024

    r = await client.post(
        "/api/v1/chat/strategy",
        content=chunks(),
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 413
    # uploads get the larger limit
    csv = b"timestamp,open,high,low,close,volume\n" + b"2024-01-01,1,2,0.5,1.5,10\n" * 150
    assert 2048 < len(csv) < 8192
    r = await client.post(
        "/api/v1/market/uploads",
        files={"file": ("a.csv", csv, "text/csv")},
        data={"symbol": "A", "timeframe": "1d"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/market/uploads",
        files={"file": ("a.csv", csv * 4, "text/csv")},
        data={"symbol": "A", "timeframe": "1d"},
        headers=headers,
    )
    assert r.status_code == 413


async def test_cors_only_for_configured_origins(gw: httpx.AsyncClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-csrf-token",
    }
    ok = await gw.options(
        "/api/v1/auth/login", headers={"Origin": "https://app.example.com", **preflight}
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    assert ok.headers["access-control-allow-credentials"] == "true"
    bad = await gw.options(
        "/api/v1/auth/login", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in bad.headers
    simple = await gw.get("/api/v1/schemas/strategy", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    simple = await gw.get("/api/v1/schemas/strategy", headers={"Origin": "https://app.example.com"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example.com"


async def test_security_headers(gw: httpx.AsyncClient) -> None:
    for path in ("/api/v1/schemas/strategy", "/", "/api/v1/users/me"):
        r = await gw.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert r.headers["x-correlation-id"]
    app_csp = (await gw.get("/")).headers["content-security-policy"]
    assert "default-src 'self'" in app_csp


async def test_no_hsts_when_cookies_are_not_secure(
    make_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_gateway(gateway_settings(COOKIE_SECURE=False, VT_ENV="development"))
    r = await client.get("/health")
    assert "strict-transport-security" not in r.headers


async def test_secrets_never_leak_into_responses(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/openapi.json")
    for secret in ("test-jwt-secret", "test-internal-token"):
        assert secret not in r.text


def test_production_refuses_insecure_settings() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(VT_ENV="production", INTERNAL_TOKEN="x" * 40)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        Settings(
            VT_ENV="production", INTERNAL_TOKEN="x" * 40, JWT_SECRET="y" * 40, COOKIE_SECURE=False
        )  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(CORS_ORIGINS="*")  # type: ignore[call-arg]
    ok = Settings(
        VT_ENV="production",
        INTERNAL_TOKEN="x" * 40,
        JWT_SECRET="y" * 40,
        CORS_ORIGINS="https://a.example, https://b.example",
    )  # type: ignore[call-arg]
    assert ok.cors_origins == ["https://a.example", "https://b.example"]
    assert "y" * 40 not in repr(ok)
    dev = Settings(VT_ENV="development", COOKIE_SECURE=False)  # type: ignore[call-arg]
    assert dev.cookie_secure is False


def test_caddy_serves_the_app_with_the_gateways_security_headers() -> None:
    """Behind Caddy (compose) the static app never passes through the gateway: the Caddyfile
    must send the same Content-Security-Policy and browser policies the gateway would."""
    import re
    from pathlib import Path

    from vt_gateway.web.middleware import APP_CSP

    caddyfile = (Path(__file__).resolve().parents[2] / "docker" / "Caddyfile").read_text()
    static = caddyfile[caddyfile.index("root * /srv") :]
    csp = re.search(r'header Content-Security-Policy "([^"]+)"', static)
    assert csp is not None
    assert csp.group(1) == APP_CSP
    for name in ("Cross-Origin-Opener-Policy", "Permissions-Policy", "X-Frame-Options"):
        assert name in caddyfile
