"""Authorisation: every protected route needs a login, and with TWO users no route lets one read,
list, change or delete the other's strategies, conversations, uploads or backtests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from vt_gateway.stubs import SMA_CROSS
from vt_gateway.testing import PASSWORD, register_and_login, serve_stack

PUBLIC = {
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/schemas/strategy"),
}
SAMPLE_IDS = {
    "strategy_id": "00000000-0000-4000-8000-000000000001",
    "run_id": "00000000-0000-4000-8000-000000000002",
    "conversation_id": "00000000-0000-4000-8000-000000000003",
    "version": "1",
    "deployment_id": "00000000-0000-4000-8000-000000000004",
    "target_id": "00000000-0000-4000-8000-000000000005",
    "account_id": "00000000-0000-4000-8000-000000000006",
    "exception_id": "00000000-0000-4000-8000-000000000007",
    "token_id": "00000000-0000-4000-8000-000000000008",
    "session_id": "00000000-0000-4000-8000-000000000009",
    "user_id": "00000000-0000-4000-8000-00000000000a",
}


async def test_every_protected_route_needs_authentication(gw: httpx.AsyncClient) -> None:
    spec = (await gw.get("/openapi.json")).json()
    checked = 0
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in item:
            if (method.upper(), path) in PUBLIC:
                continue
            url = path.format(**SAMPLE_IDS)
            r = await gw.request(method.upper(), url)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked >= 20


async def _alice_world(gw: httpx.AsyncClient, alice: dict[str, str]) -> dict[str, str]:
    chat = (
        await gw.post(
            "/api/v1/chat/strategy",
            json={"message": "Buy SPY on a golden cross please"},
            headers=alice,
        )
    ).json()
    run = (
        await gw.post(
            "/api/v1/backtest/run", json={"strategy_id": chat["strategy_id"]}, headers=alice
        )
    ).json()
    return {
        "strategy_id": chat["strategy_id"],
        "conversation_id": chat["conversation_id"],
        "run_id": run["id"],
    }


async def test_no_user_sees_or_touches_another_users_things(
    gw: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    ids = await _alice_world(gw, alice)
    sid, cid, rid = ids["strategy_id"], ids["conversation_id"], ids["run_id"]
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/v1/strategies/{sid}", None),
        ("PUT", f"/api/v1/strategies/{sid}", {"spec": SMA_CROSS}),
        ("DELETE", f"/api/v1/strategies/{sid}", None),
        ("GET", f"/api/v1/strategies/{sid}/versions", None),
        ("GET", f"/api/v1/strategies/{sid}/versions/1", None),
        ("GET", f"/api/v1/conversations/{cid}", None),
        (
            "POST",
            "/api/v1/chat/strategy",
            {"message": "continue this please now", "conversation_id": cid},
        ),
        ("GET", f"/api/v1/backtest/{rid}", None),
        ("GET", f"/api/v1/backtest/{rid}/events", None),
        ("POST", "/api/v1/backtest/run", {"strategy_id": sid}),
    ]
    for method, url, body in attempts:
        r = await gw.request(method, url, json=body, headers=bob)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    # lists show only one's own
    assert (await gw.get("/api/v1/strategies", headers=bob)).json()["items"] == []
    assert (await gw.get("/api/v1/backtests", headers=bob)).json()["items"] == []
    # and alice still has everything, unchanged
    assert (await gw.get(f"/api/v1/strategies/{sid}", headers=alice)).json()["current_version"] == 1
    assert (await gw.get(f"/api/v1/conversations/{cid}", headers=alice)).status_code == 200
    assert len((await gw.get("/api/v1/strategies", headers=alice)).json()["items"]) == 1
    assert len((await gw.get("/api/v1/backtests", headers=alice)).json()["items"]) == 1
    # the finished-run cache is keyed by user too
    for _ in range(100):
        if (await gw.get(f"/api/v1/backtest/{rid}", headers=alice)).json()["status"] == "succeeded":
            break
        await asyncio.sleep(0.05)
    assert (await gw.get(f"/api/v1/backtest/{rid}", headers=bob)).status_code == 404
    # users/me is always one's own
    assert (await gw.get("/api/v1/users/me", headers=bob)).json()["email"] == "bob@example.com"


async def test_admin_route_needs_admin_role(
    gw: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str], database_url: str
) -> None:
    r = await gw.get("/api/v1/admin/users", headers=bob)
    assert r.status_code == 403
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET role = 'admin' WHERE email = 'alice@example.com'")
    # the role travels in the token: a new login picks it up
    admin = await gw.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    gw.cookies.clear()
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    page = (await gw.get("/api/v1/admin/users", headers=headers)).json()
    assert {u["email"] for u in page["items"]} == {"alice@example.com", "bob@example.com"}
    first = (
        await gw.get(
            "/api/v1/admin/users", params={"limit": 1, "sort": "created_at"}, headers=headers
        )
    ).json()
    assert first["items"][0]["email"] == "alice@example.com"
    second = (
        await gw.get(
            "/api/v1/admin/users",
            params={"limit": 1, "sort": "created_at", "cursor": first["next_cursor"]},
            headers=headers,
        )
    ).json()
    assert second["items"][0]["email"] == "bob@example.com"
    assert second["next_cursor"] is None
    bad = await gw.get("/api/v1/admin/users", params={"cursor": "garbage!"}, headers=headers)
    assert bad.status_code == 400


@pytest.mark.timeout(120)
async def test_websocket_fans_out_only_own_runs(
    clean_db: str, redis_url: str, redis_client: Any
) -> None:
    with serve_stack(redis_url) as base:
        ws_base = base.replace("http://", "ws://")
        async with httpx.AsyncClient(base_url=base) as client:
            alice = await register_and_login(client, "wsalice@example.com")
            bob = await register_and_login(client, "wsbob@example.com")
            a_token = alice["Authorization"][7:]
            b_token = bob["Authorization"][7:]
            async with (
                connect(
                    f"{ws_base}/api/v1/ws/backtests", subprotocols=["vt.v1", f"bearer.{a_token}"]
                ) as a_ws,  # type: ignore[list-item]
                connect(
                    f"{ws_base}/api/v1/ws/backtests", subprotocols=["vt.v1", f"bearer.{b_token}"]
                ) as b_ws,  # type: ignore[list-item]
            ):
                assert a_ws.subprotocol == "vt.v1"
                r = await client.post(
                    "/api/v1/backtest/run", json={"spec": SMA_CROSS}, headers=alice
                )
                run_id = r.json()["id"]
                seen = []
                while not seen or seen[-1]["status"] != "succeeded":
                    seen.append(json.loads(await asyncio.wait_for(a_ws.recv(), 10)))
                assert {e["id"] for e in seen} == {run_id}
                assert [e["status"] for e in seen] == ["running", "succeeded"]
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(b_ws.recv(), 0.5)

            # cookie authentication from the same origin works; other origins and no token do not
            login = await client.post(
                "/api/v1/auth/login", json={"email": "wsalice@example.com", "password": PASSWORD}
            )
            cookie = f"vt_access={login.json()['access_token']}"
            async with connect(
                f"{ws_base}/api/v1/ws/backtests", additional_headers={"Cookie": cookie}, origin=base
            ) as ws:  # type: ignore[arg-type]
                assert ws.subprotocol is None
            with pytest.raises(InvalidStatus):
                async with connect(
                    f"{ws_base}/api/v1/ws/backtests",
                    additional_headers={"Cookie": cookie},
                    origin="https://evil.example",
                ):  # type: ignore[arg-type]
                    pass
            with pytest.raises(InvalidStatus):
                async with connect(f"{ws_base}/api/v1/ws/backtests"):
                    pass
