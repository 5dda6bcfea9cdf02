"""Auth flows: register, login (body + cookies), bearer and cookie auth, refresh rotation with
reuse detection, logout, expiry."""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from vt_gateway.testing import PASSWORD, gateway_settings, register_and_login

pytestmark = pytest.mark.asyncio


def _set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    out: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            out[name] = cookie
    return out


async def test_register_and_login_shapes(gw: httpx.AsyncClient, database_url: str) -> None:
    r = await gw.post(
        "/api/v1/auth/register", json={"email": "Trader@Example.COM", "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["email"] == "Trader@example.com"
    assert user["role"] == "user"
    assert "password" not in r.text
    assert "hash" not in r.text

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT password_hash FROM users WHERE id = %s", (user["id"],)
        ).fetchone()
    assert row is not None
    assert row[0].startswith("$argon2id$")

    r = await gw.post(
        "/api/v1/auth/login", json={"email": "trader@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"sub", "exp", "iat", "jti", "role"} <= set(claims)
    assert claims["sub"] == user["id"]
    assert claims["role"] == "user"
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"

    cookies = _set_cookies(r)
    access = cookies["vt_access"]["vt_access"]
    refresh = cookies["vt_refresh"]["vt_refresh"]
    csrf = cookies["vt_csrf"]["vt_csrf"]
    for c in (access, refresh):
        assert c["httponly"]
        assert c["secure"]
        assert c["samesite"].lower() in ("lax", "strict")
    assert refresh["path"] == "/api/v1/auth"
    assert access["path"] == "/"
    assert not csrf["httponly"]
    assert csrf["secure"]


async def test_register_rejects_bad_input(gw: httpx.AsyncClient) -> None:
    r = await gw.post("/api/v1/auth/register", json={"email": "not-an-email", "password": PASSWORD})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "email"
    r = await gw.post("/api/v1/auth/register", json={"email": "a@example.com", "password": "short"})
    assert r.status_code == 422


async def test_login_failures_are_401_without_enumeration(gw: httpx.AsyncClient) -> None:
    await register_and_login(gw, "known@example.com")
    wrong = await gw.post(
        "/api/v1/auth/login", json={"email": "known@example.com", "password": "wrong password"}
    )
    unknown = await gw.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_bearer_and_cookie_auth(gw: httpx.AsyncClient) -> None:
    headers = await register_and_login(gw, "both@example.com")
    assert (await gw.get("/api/v1/users/me", headers=headers)).json()["email"] == "both@example.com"
    assert (await gw.get("/api/v1/users/me")).status_code == 401
    r = await gw.post(
        "/api/v1/auth/login", json={"email": "both@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200
    # the client now holds the cookies
    assert (await gw.get("/api/v1/users/me")).json()["email"] == "both@example.com"
    bad = await gw.get("/api/v1/users/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"].startswith("Bearer")


async def test_forged_token_is_refused(gw: httpx.AsyncClient) -> None:
    headers = await register_and_login(gw)
    claims = jwt.decode(headers["Authorization"][7:], options={"verify_signature": False})
    claims["role"] = "admin"
    forged = jwt.encode(claims, "some-other-secret-that-is-long-enough", algorithm="HS256")
    r = await gw.get("/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    none_alg = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    r = await gw.get("/api/v1/users/me", headers={"Authorization": f"Bearer {none_alg}"})
    assert r.status_code == 401


async def _login_with_refresh(gw: httpx.AsyncClient, email: str) -> dict[str, str]:
    await gw.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    r = await gw.post(
        "/api/v1/auth/login",
        json={"email": email, "password": PASSWORD, "include_refresh_token": True},
    )
    assert r.status_code == 200
    gw.cookies.clear()
    body: dict[str, str] = r.json()
    return body


async def test_refresh_rotates_and_reuse_revokes_the_family(
    gw: httpx.AsyncClient, database_url: str
) -> None:
    first = await _login_with_refresh(gw, "rotate@example.com")
    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    gw.cookies.clear()
    me = await gw.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert me.status_code == 200

    # replaying the used token: refused, and the whole family (incl. the new token) is revoked
    reuse = await gw.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    gw.cookies.clear()
    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT revoked_at IS NOT NULL, token_hash FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = 'rotate@example.com'"
        ).fetchall()
    assert rows
    assert all(revoked for revoked, _ in rows)
    # stored hashed (sha256 hex), never in clear
    assert all(len(h) == 64 and h != first["refresh_token"] for _, h in rows)

    # another login starts a new, working family
    third = await _login_with_refresh(gw, "rotate@example.com")
    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert r.status_code == 200


async def test_refresh_with_cookie_needs_csrf(gw: httpx.AsyncClient) -> None:
    await gw.post(
        "/api/v1/auth/register", json={"email": "cookie@example.com", "password": PASSWORD}
    )
    r = await gw.post(
        "/api/v1/auth/login", json={"email": "cookie@example.com", "password": PASSWORD}
    )
    csrf = r.cookies["vt_csrf"]
    old_refresh = gw.cookies.get("vt_refresh", path="/api/v1/auth")
    assert old_refresh
    r = await gw.post("/api/v1/auth/refresh")
    assert r.status_code == 403
    assert r.json()["type"].endswith("/csrf")
    r = await gw.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert "refresh_token" not in r.json()  # browsers keep it in the HttpOnly cookie
    assert gw.cookies.get("vt_refresh", path="/api/v1/auth") != old_refresh


async def test_logout_revokes_access_and_refresh(gw: httpx.AsyncClient) -> None:
    tokens = await _login_with_refresh(gw, "bye@example.com")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    r = await gw.post(
        "/api/v1/auth/logout", headers=bearer, json={"refresh_token": tokens["refresh_token"]}
    )
    assert r.status_code == 204
    assert (await gw.get("/api/v1/users/me", headers=bearer)).status_code == 401
    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401


async def test_cookie_logout_needs_csrf_and_clears_cookies(gw: httpx.AsyncClient) -> None:
    await gw.post("/api/v1/auth/register", json={"email": "cbye@example.com", "password": PASSWORD})
    r = await gw.post(
        "/api/v1/auth/login", json={"email": "cbye@example.com", "password": PASSWORD}
    )
    csrf = r.cookies["vt_csrf"]
    assert (await gw.post("/api/v1/auth/logout")).status_code == 403
    r = await gw.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert any("vt_access=" in h and "Max-Age=0" in h for h in r.headers.get_list("set-cookie"))
    assert (await gw.get("/api/v1/users/me")).status_code == 401


async def test_short_ttls_expire(make_gateway: Any) -> None:
    client = await make_gateway(
        # a few seconds, not one: on a loaded machine login -> first use can take over a second
        gateway_settings(ACCESS_TOKEN_TTL_SECONDS=4, REFRESH_TOKEN_TTL_SECONDS=4)
    )
    tokens = await _login_with_refresh(client, "ttl@example.com")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/api/v1/users/me", headers=bearer)).status_code == 200
    await asyncio.sleep(4.2)
    r = await client.get("/api/v1/users/me", headers=bearer)
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401
