"""Personal access tokens through the real gateway on real PostgreSQL and Redis: created once,
listed without the secret, revoked at once, scopes enforced per route, live trading and account
management out of reach of every token, and one user's token ids invisible to another."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import psycopg

from vt_gateway.stubs import SMA_CROSS

TOKENS = "/api/v1/users/me/tokens"
ALL = ["read", "backtest", "paper"]


async def make_token(
    gw: httpx.AsyncClient, headers: dict[str, str], scopes: list[str], name: str = "t"
) -> dict[str, str]:
    r = await gw.post(TOKENS, json={"name": name, "scopes": scopes}, headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, str] = r.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_create_list_revoke(
    gw: httpx.AsyncClient, alice: dict[str, str], clean_db: str
) -> None:
    created = await make_token(gw, alice, ["read", "backtest"], "claude-desktop")
    assert set(created) >= {"id", "name", "scopes", "token", "created_at"}
    token = created["token"]
    assert token.startswith("vtp_")
    assert len(token) > 40
    assert created["scopes"] == ["backtest", "read"]
    assert token.startswith(created["prefix"])
    assert len(created["prefix"]) < len(token)

    # only a hash is stored
    with psycopg.connect(clean_db) as conn:
        stored = conn.execute("SELECT token_hash FROM personal_access_tokens").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]

    listed = (await gw.get(TOKENS, headers=alice)).json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert token not in (await gw.get(TOKENS, headers=alice)).text

    me = await gw.get("/api/v1/users/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "alice@example.com"
    assert (await gw.get(TOKENS, headers=alice)).json()["items"][0]["last_used_at"]

    r = await gw.delete(f"{TOKENS}/{created['id']}", headers=alice)
    assert r.status_code == 204
    r = await gw.get("/api/v1/users/me", headers=bearer(token))
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert "revoked" in r.json()["detail"]
    assert (await gw.get(TOKENS, headers=alice)).json()["items"] == []
    # revoking twice: nothing active with this id any more
    assert (await gw.delete(f"{TOKENS}/{created['id']}", headers=alice)).status_code == 404


async def test_unknown_token_is_401(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    r = await gw.get("/api/v1/strategies", headers=bearer("vtp_" + "x" * 43))
    assert r.status_code == 401
    assert "VT_TOKEN" in r.json()["detail"]


async def test_validation(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    for body in (
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["live"]},
        {"name": "x", "scopes": ["admin"]},
        {"name": "", "scopes": ["read"]},
        {"name": "x"},
    ):
        r = await gw.post(TOKENS, json=body, headers=alice)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await gw.delete(f"{TOKENS}/not-a-uuid", headers=alice)
    assert r.status_code == 422


async def test_other_users_tokens_are_404(
    gw: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mine = await make_token(gw, alice, ["read"])
    assert (await gw.get(TOKENS, headers=bob)).json()["items"] == []
    r = await gw.delete(f"{TOKENS}/{mine['id']}", headers=bob)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert (await gw.delete(f"{TOKENS}/{uuid.uuid4()}", headers=bob)).status_code == 404
    # still alive for alice
    assert (await gw.get("/api/v1/users/me", headers=bearer(mine["token"]))).status_code == 200
    # and a token acts as its owner only
    strategies = await gw.get("/api/v1/strategies", headers=bearer(mine["token"]))
    assert strategies.status_code == 200


async def test_read_scope_cannot_run_a_backtest(
    gw: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    read = (await make_token(gw, alice, ["read"]))["token"]
    r = await gw.post("/api/v1/backtest/run", json={"spec": SMA_CROSS}, headers=bearer(read))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert "'backtest' scope" in problem["detail"]
    assert problem["type"].endswith("insufficient-scope")
    assert 'scope="backtest"' in r.headers["www-authenticate"]
    r = await gw.post("/api/v1/chat/strategy", json={"message": "Buy SPY"}, headers=bearer(read))
    assert r.status_code == 403
    # reads work
    assert (await gw.get("/api/v1/backtests", headers=bearer(read))).status_code == 200
    r = await gw.get("/api/v1/market/data", params={"symbol": "SPY"}, headers=bearer(read))
    assert r.status_code == 200, r.text


async def test_backtest_scope_runs_a_backtest(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    token = (await make_token(gw, alice, ["backtest"]))["token"]
    r = await gw.post("/api/v1/backtest/run", json={"spec": SMA_CROSS}, headers=bearer(token))
    assert r.status_code == 202, r.text
    # backtest without read cannot read the result back: the missing scope is named
    r = await gw.get(f"/api/v1/backtest/{r.json()['id']}", headers=bearer(token))
    assert r.status_code == 403
    assert "'read' scope" in r.json()["detail"]


async def test_no_scope_reaches_live_accounts_or_credentials(
    gw: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    token = (await make_token(gw, alice, ALL))["token"]
    h = bearer(token)
    refused = [
        ("POST", "/api/v1/deployments", {"strategy_id": "s", "backtest_id": "b", "mode": "live"}),
        ("GET", "/api/v1/deployments", None),
        ("GET", "/api/v1/deployments?environment=live", None),
        ("POST", "/api/v1/trading/accounts", {"name": "x", "environment": "live"}),
        ("GET", "/api/v1/trading/accounts", None),
        ("POST", "/api/v1/trading/kill", {"reason": "nope"}),
        ("PUT", "/api/v1/trading/accounts/a/risk-limits", {}),
        ("POST", "/api/v1/trading/manual/trade", {}),
        ("PATCH", "/api/v1/users/me/settings", {"llm_api_key": "sk-0123456789"}),
        ("POST", TOKENS, {"name": "escalate", "scopes": ["read"]}),
        ("GET", TOKENS, None),
        ("DELETE", f"{TOKENS}/{uuid.uuid4()}", None),
        ("GET", "/api/v1/admin/users", None),
        ("DELETE", f"/api/v1/strategies/{uuid.uuid4()}", None),
    ]
    for method, path, body in refused:
        r = await gw.request(method, path, json=body, headers=h)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"], (method, path)
    live = await gw.post(
        "/api/v1/deployments",
        json={"strategy_id": "s", "backtest_id": "b", "mode": "live"},
        headers=h,
    )
    assert "paper" in live.json()["detail"]


async def test_paper_scope_reaches_the_paper_service_only(
    gw: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    read_only = (await make_token(gw, alice, ["read"]))["token"]
    body = {"strategy_id": "s", "backtest_id": "b", "mode": "paper", "capital": 1000}
    r = await gw.post("/api/v1/deployments", json=body, headers=bearer(read_only))
    assert r.status_code == 403
    assert "'paper' scope" in r.json()["detail"]
    paper = (await make_token(gw, alice, ["paper"]))["token"]
    # past the token check: the (unreachable, in this test) paper service answers
    r = await gw.post("/api/v1/deployments", json=body, headers=bearer(paper))
    assert r.status_code not in (401, 403), r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_jwt_sessions_are_unaffected(gw: httpx.AsyncClient, alice: dict[str, str]) -> None:
    r = await gw.patch(
        "/api/v1/users/me/settings", json={"default_commission": 0.001}, headers=alice
    )
    assert r.status_code == 200, r.text


def test_allow_list_names_real_routes() -> None:
    from vt_gateway.app import create_app
    from vt_gateway.testing import gateway_settings
    from vt_gateway.tokens.scopes import API, ROUTE_SCOPES

    paths = create_app(gateway_settings()).openapi()["paths"]
    for method, path in ROUTE_SCOPES:
        assert method.lower() in paths.get(API + path, {}), (method, path)
