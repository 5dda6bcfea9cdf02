"""Account management through the real gateway on real PostgreSQL and Redis: registration that
does not reveal existing e-mails, password change, login sessions, administrators disabling
accounts (effective on the very next request)."""

from __future__ import annotations

import logging

import httpx
import jwt
import psycopg
import pytest

from vt_gateway.testing import PASSWORD, register_and_login
from vt_kit.logging import configure_logging

pytestmark = pytest.mark.asyncio

NEW_PASSWORD = "a longer and newer passphrase"


async def _login(
    gw: httpx.AsyncClient, email: str, password: str = PASSWORD, user_agent: str = "pytest"
) -> dict[str, str]:
    """A password login of a script: access and refresh token in the body, cookies dropped."""
    r = await gw.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password, "include_refresh_token": True},
        headers={"User-Agent": user_agent},
    )
    assert r.status_code == 200, r.text
    gw.cookies.clear()
    body: dict[str, str] = r.json()
    return body


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _register(gw: httpx.AsyncClient, email: str) -> None:
    r = await gw.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text


async def _refresh(
    gw: httpx.AsyncClient, tokens: dict[str, str], user_agent: str = "pytest"
) -> httpx.Response:
    r = await gw.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"]},
        headers={"User-Agent": user_agent},
    )
    gw.cookies.clear()
    return r


def _problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = r.json()
    assert body["detail"]
    return body


# --- registration ---------------------------------------------------------------------------


async def test_registration_does_not_reveal_an_existing_email(
    gw: httpx.AsyncClient, database_url: str
) -> None:
    first = await gw.post(
        "/api/v1/auth/register", json={"email": "taken@example.com", "password": PASSWORD}
    )
    again = await gw.post(
        "/api/v1/auth/register",
        json={"email": "TAKEN@example.com", "password": "another password entirely"},
    )
    fresh = await gw.post(
        "/api/v1/auth/register", json={"email": "fresh@example.com", "password": PASSWORD}
    )
    # same status, same headers that matter, same body shape
    assert first.status_code == again.status_code == fresh.status_code == 201
    assert again.headers["content-type"] == fresh.headers["content-type"]
    assert set(again.json()) == set(fresh.json())
    assert set(again.json()["settings"]) == set(fresh.json()["settings"])
    # nothing of the real account is given away, and nothing about it changed
    assert again.json()["id"] != first.json()["id"]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id::text FROM users WHERE lower(email) = 'taken@example.com'"
        ).fetchall()
    assert rows == [(first.json()["id"],)]
    assert (await _login(gw, "taken@example.com"))["access_token"]
    # the second registrant's password does not log in: the usual, non-revealing 401
    r = await gw.post(
        "/api/v1/auth/login",
        json={"email": "taken@example.com", "password": "another password entirely"},
    )
    unknown = await gw.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert _problem(r, 401)["detail"] == _problem(unknown, 401)["detail"]


# --- password change ------------------------------------------------------------------------


async def test_password_change_keeps_this_session_and_ends_the_others(
    gw: httpx.AsyncClient,
) -> None:
    await _register(gw, "pw@example.com")
    here = await _login(gw, "pw@example.com", user_agent="laptop")
    there = await _login(gw, "pw@example.com", user_agent="phone")
    assert (await gw.get("/api/v1/users/me", headers=_bearer(there))).status_code == 200

    r = await gw.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=_bearer(here),
    )
    assert r.status_code == 204, r.text

    # the other session: access token refused at once, refresh refused
    assert (await gw.get("/api/v1/users/me", headers=_bearer(there))).status_code == 401
    _problem(await _refresh(gw, there), 401)
    # this session goes on, and refreshes
    assert (await gw.get("/api/v1/users/me", headers=_bearer(here))).status_code == 200
    assert (await _refresh(gw, here)).status_code == 200
    # old password refused, new one works
    old = await gw.post(
        "/api/v1/auth/login", json={"email": "pw@example.com", "password": PASSWORD}
    )
    _problem(old, 401)
    assert await _login(gw, "pw@example.com", NEW_PASSWORD)


async def test_password_change_refusals_say_what_to_fix(gw: httpx.AsyncClient) -> None:
    await _register(gw, "pw2@example.com")
    tokens = await _login(gw, "pw2@example.com")
    wrong = await gw.post(
        "/api/v1/users/me/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=_bearer(tokens),
    )
    body = _problem(wrong, 422)
    assert "current password" in str(body["detail"])
    assert body["errors"] == [
        {
            "loc": ["body", "current_password"],
            "msg": "this is not your current password; type the password you log in with",
            "type": "value_error",
        }
    ]
    same = await gw.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=_bearer(tokens),
    )
    assert "different" in str(_problem(same, 422)["detail"])
    short = await gw.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=_bearer(tokens),
    )
    assert "new_password" in str(_problem(short, 422)["errors"])
    # no password leaks into an error
    for r in (wrong, same, short):
        assert PASSWORD not in r.text
        assert "not my password" not in r.text
    unauthenticated = await gw.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    _problem(unauthenticated, 401)
    # nothing changed
    assert await _login(gw, "pw2@example.com")


async def test_password_change_with_the_cookie_needs_csrf(gw: httpx.AsyncClient) -> None:
    await _register(gw, "pwc@example.com")
    r = await gw.post("/api/v1/auth/login", json={"email": "pwc@example.com", "password": PASSWORD})
    csrf = r.cookies["vt_csrf"]
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    refused = await gw.post("/api/v1/users/me/password", json=body)
    assert _problem(refused, 403)["type"] == "https://vibetrading.dev/problems/csrf"
    ok = await gw.post("/api/v1/users/me/password", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 204, ok.text
    assert (await gw.get("/api/v1/users/me")).status_code == 200  # this session goes on


# --- sessions -------------------------------------------------------------------------------


async def test_sessions_list_marks_the_current_one(gw: httpx.AsyncClient) -> None:
    await _register(gw, "sess@example.com")
    laptop = await _login(gw, "sess@example.com", user_agent="laptop-browser")
    phone = await _login(gw, "sess@example.com", user_agent="phone-app")
    refreshed = (
        await _refresh(gw, phone, "phone-app/2")
    ).json()  # a refresh stays the same session

    r = await gw.get("/api/v1/users/me/sessions", headers=_bearer(laptop))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 2
    assert [s["user_agent"] for s in items] == ["phone-app/2", "laptop-browser"]  # recent first
    assert [s["current"] for s in items] == [False, True]
    assert all(s["ip"] == "127.0.0.1" for s in items)
    newest = items[0]
    assert newest["last_used_at"] > newest["created_at"]
    assert set(newest) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "ip",
        "current",
    }
    # the access token names its session
    sid = jwt.decode(refreshed["access_token"], options={"verify_signature": False})["sid"]
    assert sid == newest["id"]
    mine = (await gw.get("/api/v1/users/me/sessions", headers=_bearer(refreshed))).json()
    assert [s["current"] for s in mine["items"]] == [True, False]
    # no secret of any kind in the list
    for secret in (laptop["refresh_token"], refreshed["refresh_token"], "vtr_"):
        assert secret not in r.text


async def test_revoking_a_session_ends_it_at_once(gw: httpx.AsyncClient) -> None:
    await _register(gw, "rev@example.com")
    keep = await _login(gw, "rev@example.com", user_agent="keep")
    drop = await _login(gw, "rev@example.com", user_agent="drop")
    items = (await gw.get("/api/v1/users/me/sessions", headers=_bearer(keep))).json()["items"]
    drop_id = next(s["id"] for s in items if s["user_agent"] == "drop")

    r = await gw.delete(f"/api/v1/users/me/sessions/{drop_id}", headers=_bearer(keep))
    assert r.status_code == 204, r.text
    refused = await gw.get("/api/v1/users/me", headers=_bearer(drop))
    assert "revoked" in str(_problem(refused, 401)["detail"])
    _problem(await _refresh(gw, drop), 401)
    assert (await gw.get("/api/v1/users/me", headers=_bearer(keep))).status_code == 200
    left = (await gw.get("/api/v1/users/me/sessions", headers=_bearer(keep))).json()["items"]
    assert [s["user_agent"] for s in left] == ["keep"]
    # a second time: it is no longer live
    again = await gw.delete(f"/api/v1/users/me/sessions/{drop_id}", headers=_bearer(keep))
    assert "GET /api/v1/users/me/sessions" in str(_problem(again, 404)["detail"])
    bad = await gw.delete("/api/v1/users/me/sessions/not-a-uuid", headers=_bearer(keep))
    _problem(bad, 422)


async def test_users_only_see_and_revoke_their_own_sessions(gw: httpx.AsyncClient) -> None:
    await _register(gw, "owner@example.com")
    await _register(gw, "other@example.com")
    owner = await _login(gw, "owner@example.com", user_agent="owner-device")
    other = await _login(gw, "other@example.com", user_agent="other-device")
    owner_sessions = (await gw.get("/api/v1/users/me/sessions", headers=_bearer(owner))).json()
    other_sessions = (await gw.get("/api/v1/users/me/sessions", headers=_bearer(other))).json()
    assert [s["user_agent"] for s in owner_sessions["items"]] == ["owner-device"]
    assert [s["user_agent"] for s in other_sessions["items"]] == ["other-device"]
    # another user's session id answers 404, like any id that is not yours
    owner_id = owner_sessions["items"][0]["id"]
    r = await gw.delete(f"/api/v1/users/me/sessions/{owner_id}", headers=_bearer(other))
    _problem(r, 404)
    assert (await gw.get("/api/v1/users/me", headers=_bearer(owner))).status_code == 200
    assert (await _refresh(gw, owner)).status_code == 200
    _problem(await gw.get("/api/v1/users/me/sessions"), 401)


async def test_log_out_everywhere(gw: httpx.AsyncClient) -> None:
    await _register(gw, "all@example.com")
    one = await _login(gw, "all@example.com", user_agent="one")
    two = await _login(gw, "all@example.com", user_agent="two")
    browser = await gw.post(
        "/api/v1/auth/login", json={"email": "all@example.com", "password": PASSWORD}
    )
    csrf = browser.cookies["vt_csrf"]
    r = await gw.delete("/api/v1/users/me/sessions", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204, r.text
    # this browser's cookies are cleared, and every session is over
    cleared = {h.split("=", 1)[0] for h in r.headers.get_list("set-cookie")}
    assert {"vt_access", "vt_refresh", "vt_csrf"} <= cleared
    gw.cookies.clear()
    for tokens in (one, two):
        _problem(await gw.get("/api/v1/users/me", headers=_bearer(tokens)), 401)
        _problem(await _refresh(gw, tokens), 401)
    # a new login works
    again = await _login(gw, "all@example.com")
    listed = (await gw.get("/api/v1/users/me/sessions", headers=_bearer(again))).json()
    assert len(listed["items"]) == 1


async def test_personal_access_tokens_cannot_manage_the_account(gw: httpx.AsyncClient) -> None:
    headers = await register_and_login(gw, "pat@example.com")
    created = await gw.post(
        "/api/v1/users/me/tokens", json={"name": "script", "scopes": ["read"]}, headers=headers
    )
    pat = {"Authorization": f"Bearer {created.json()['token']}"}
    for method, path, body in (
        ("GET", "/api/v1/users/me/sessions", None),
        ("DELETE", "/api/v1/users/me/sessions", None),
        (
            "POST",
            "/api/v1/users/me/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        ),
    ):
        r = await gw.request(method, path, json=body, headers=pat)
        assert "password login" in str(_problem(r, 403)["detail"])


# --- administrators disable accounts --------------------------------------------------------


async def _admin(gw: httpx.AsyncClient, database_url: str, email: str) -> dict[str, str]:
    await _register(gw, email)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE users SET role = 'admin' WHERE email = %s", (email,))
    return _bearer(await _login(gw, email))


async def test_disabling_a_user_takes_effect_on_the_next_request(
    gw: httpx.AsyncClient, database_url: str
) -> None:
    admin = await _admin(gw, database_url, "root@example.com")
    await _register(gw, "mallory@example.com")
    session = await _login(gw, "mallory@example.com")
    pat = await gw.post(
        "/api/v1/users/me/tokens",
        json={"name": "bot", "scopes": ["read"]},
        headers=_bearer(session),
    )
    pat_headers = {"Authorization": f"Bearer {pat.json()['token']}"}
    me = await gw.get("/api/v1/users/me", headers=_bearer(session))
    user_id = me.json()["id"]
    assert me.json()["disabled_at"] is None

    r = await gw.post(f"/api/v1/admin/users/{user_id}/disable", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False
    assert r.json()["disabled_at"] is not None

    # the very next request with the (unexpired) access token, and with the personal token
    refused = _problem(await gw.get("/api/v1/users/me", headers=_bearer(session)), 401)
    assert refused["type"] == "https://vibetrading.dev/problems/account-disabled"
    assert "disabled" in str(refused["detail"])
    _problem(await gw.get("/api/v1/strategies", headers=pat_headers), 401)
    _problem(await _refresh(gw, session), 401)
    login = await gw.post(
        "/api/v1/auth/login", json={"email": "mallory@example.com", "password": PASSWORD}
    )
    assert "disabled" in str(_problem(login, 401)["detail"])
    gw.cookies.clear()
    listed = (await gw.get("/api/v1/admin/users", headers=admin)).json()["items"]
    assert {u["email"]: u["is_active"] for u in listed}["mallory@example.com"] is False

    # enabled again: a new login works (the old sessions stay ended)
    r = await gw.post(f"/api/v1/admin/users/{user_id}/enable", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is True
    assert r.json()["disabled_at"] is None
    _problem(await _refresh(gw, session), 401)
    fresh = await _login(gw, "mallory@example.com")
    assert (await gw.get("/api/v1/users/me", headers=_bearer(fresh))).status_code == 200
    assert (await gw.get("/api/v1/strategies", headers=pat_headers)).status_code == 200


async def test_disable_is_for_administrators_and_explains_refusals(
    gw: httpx.AsyncClient, database_url: str
) -> None:
    admin = await _admin(gw, database_url, "boss@example.com")
    await _register(gw, "plain@example.com")
    plain = _bearer(await _login(gw, "plain@example.com"))
    plain_id = (await gw.get("/api/v1/users/me", headers=plain)).json()["id"]
    admin_id = (await gw.get("/api/v1/users/me", headers=admin)).json()["id"]

    _problem(await gw.post(f"/api/v1/admin/users/{admin_id}/disable", headers=plain), 403)
    _problem(await gw.post(f"/api/v1/admin/users/{plain_id}/enable", headers=plain), 403)
    _problem(await gw.post(f"/api/v1/admin/users/{plain_id}/disable"), 401)
    self_disable = await gw.post(f"/api/v1/admin/users/{admin_id}/disable", headers=admin)
    assert "another administrator" in str(_problem(self_disable, 409)["detail"])
    unknown = await gw.post(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/disable", headers=admin
    )
    assert "GET /api/v1/admin/users" in str(_problem(unknown, 404)["detail"])
    # disabling twice is harmless
    for _ in range(2):
        r = await gw.post(f"/api/v1/admin/users/{plain_id}/disable", headers=admin)
        assert r.status_code == 200
        assert r.json()["is_active"] is False
    assert (await gw.get("/api/v1/users/me", headers=admin)).status_code == 200


async def test_no_password_or_token_reaches_the_gateway_logs(
    gw: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole account flow, then the gateway's captured JSON log output is searched for every
    secret that travelled through it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    # the services' own logging set-up again, now writing to the stdout capsys captures
    configure_logging("api-gateway", "DEBUG")
    try:
        await _account_flow_checked_in_logs(gw, capsys)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


async def _account_flow_checked_in_logs(
    gw: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await _register(gw, "quiet@example.com")
    tokens = await _login(gw, "quiet@example.com")
    refreshed = (await _refresh(gw, tokens)).json()
    pat = (
        await gw.post(
            "/api/v1/users/me/tokens",
            json={"name": "s", "scopes": ["read"]},
            headers=_bearer(refreshed),
        )
    ).json()["token"]
    await gw.get("/api/v1/users/me", headers={"Authorization": f"Bearer {pat}"})
    r = await gw.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=_bearer(refreshed),
    )
    assert r.status_code == 204
    await gw.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await gw.delete("/api/v1/users/me/sessions", headers=_bearer(refreshed))
    out = capsys.readouterr().out
    assert '"logger": "vt.access"' in out  # the gateway did log these requests
    for secret in (
        PASSWORD,
        NEW_PASSWORD,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        pat,
    ):
        assert secret not in out
