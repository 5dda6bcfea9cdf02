"""The runs API: validation up front, auth, ownership, listing -- no workers involved."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from bt_testkit import TOKEN, db_row, sma_spec

from vt_backtest import queue


def h(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


async def test_post_creates_queued_row_and_enqueues(
    api: httpx.AsyncClient, user: str, clean_db: str, redis_client: Any
) -> None:
    r = await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    row = db_row(
        clean_db,
        "SELECT status, progress, attempts, request, user_id::text FROM backtest_runs WHERE id = %s",
        run_id,
    )
    assert row[0] == "queued"
    assert row[1] == 0
    assert row[2] == 0
    assert row[3]["spec"]["name"] == "DEMO:TREND 20/50 SMA crossover"
    assert row[3]["run_id"] == run_id
    assert row[3]["user_id"] == user
    assert row[4] == user
    entries = await redis_client.xrange(queue.JOBS_STREAM)
    assert [e[1][b"run_id"].decode() for e in entries] == [run_id]
    groups = await redis_client.xinfo_groups(queue.JOBS_STREAM)
    assert groups[0]["name"] in (queue.GROUP, queue.GROUP.encode())

    got = await api.get(f"/runs/{run_id}", headers=h(user))
    assert got.status_code == 200
    body = got.json()
    assert body["status"] == "queued"
    assert body["result"] is None
    assert body["error"] is None


async def test_missing_internal_token_is_401(api: httpx.AsyncClient, user: str) -> None:
    for method, path in (("POST", "/runs"), ("GET", "/runs"), ("GET", f"/runs/{uuid.uuid4()}")):
        r = await api.request(
            method,
            path,
            json={"spec": sma_spec()} if method == "POST" else None,
            headers={"X-Internal-Token": "", "X-User-Id": user},
        )
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    wrong = await api.get("/runs", headers={"X-Internal-Token": "nope", "X-User-Id": user})
    assert wrong.status_code == 401


async def test_user_header_is_required(api: httpx.AsyncClient) -> None:
    r = await api.post("/runs", json={"spec": sma_spec()})
    assert r.status_code == 400
    assert "X-User-Id" in r.json()["detail"]
    r = await api.get("/runs", headers={"X-User-Id": "not-a-uuid"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "exactly one of `spec`"),
        ({"spec": sma_spec(), "code": {"code": "x = 1", "symbols": ["DEMO:TREND"]}}, "exactly one"),
        (
            {"spec": sma_spec(period={"start": "2019-01-01", "end": "2018-01-01"})},
            "must be before period.end",
        ),
        (
            {"spec": {**sma_spec(), "indicators": [{"id": "fast", "kind": "hma", "window": 3}]}},
            "hma",
        ),
        (
            {"spec": sma_spec(period={"start": "2999-01-01"})},
            "starts in the future",
        ),
        (
            {
                "code": {"code": "x = 1", "symbols": ["DEMO:TREND"]},
                "walk_forward": {"parameters": {"fast.window": [5, 10]}},
            },
            "walk_forward needs a `spec`",
        ),
        (
            {"spec": sma_spec(), "walk_forward": {"parameters": {"nope.window": [5, 10]}}},
            "does not define",
        ),
        (
            {
                "code": {
                    "code": "x",
                    "symbols": ["DEMO:TREND"],
                    "start": "2019-01-01",
                    "end": "2010-01-01",
                }
            },
            "must be before end",
        ),
        ({"spec": sma_spec(), "extra": 1}, "extra"),
    ],
)
async def test_bad_input_is_422_up_front(
    api: httpx.AsyncClient, user: str, body: dict[str, Any], needle: str, clean_db: str
) -> None:
    r = await api.post("/runs", json=body, headers=h(user))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert needle.lower() in json.dumps(problem).lower(), problem
    assert problem["errors"], problem
    assert db_row(clean_db, "SELECT count(*) FROM backtest_runs")[0] == 0


async def test_unknown_strategy_id_is_422(api: httpx.AsyncClient, user: str) -> None:
    r = await api.post(
        "/runs", json={"spec": sma_spec(), "strategy_id": str(uuid.uuid4())}, headers=h(user)
    )
    assert r.status_code == 422
    assert "strategy_id" in r.json()["detail"]


async def test_unknown_user_is_422(api: httpx.AsyncClient) -> None:
    r = await api.post("/runs", json={"spec": sma_spec()}, headers=h(str(uuid.uuid4())))
    assert r.status_code == 422
    assert "user" in r.json()["detail"]


async def test_owner_isolation(api: httpx.AsyncClient, user: str, other_user: str) -> None:
    run_id = (await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))).json()["id"]
    assert (await api.get(f"/runs/{run_id}", headers=h(user))).status_code == 200
    theirs = await api.get(f"/runs/{run_id}", headers=h(other_user))
    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    listed = await api.get("/runs", headers=h(other_user))
    assert listed.json() == {"items": [], "next_cursor": None}
    missing = await api.get(f"/runs/{uuid.uuid4()}", headers=h(user))
    assert missing.status_code == 404
    assert (await api.get("/runs/not-a-uuid", headers=h(user))).status_code == 422


async def test_list_is_paginated_filtered_and_light(
    api: httpx.AsyncClient, user: str, clean_db: str
) -> None:
    ids = []
    for i in range(5):
        body: dict[str, Any] = (
            {"spec": sma_spec(fast=10 + i)}
            if i % 2 == 0
            else {"code": {"code": "x = 1", "symbols": ["DEMO:CODE"]}}
        )
        r = await api.post("/runs", json=body, headers=h(user))
        ids.append(r.json()["id"])
    db_row(
        clean_db, "UPDATE backtest_runs SET status = 'failed' WHERE id = %s RETURNING id", ids[1]
    )

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/runs", params=params, headers=h(user))).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))

    asc = (
        await api.get("/runs", params={"sort": "created_at", "limit": 100}, headers=h(user))
    ).json()
    assert [i["id"] for i in asc["items"]] == ids
    first = asc["items"][0]
    assert first["kind"] == "spec"
    assert first["name"].startswith("DEMO:TREND 10/50")
    assert first["symbols"] == ["DEMO:TREND"]
    assert "result" not in first
    assert "request" not in first
    assert asc["items"][1]["kind"] == "code"
    assert asc["items"][1]["symbols"] == ["DEMO:CODE"]

    failed = (await api.get("/runs", params={"status": "failed"}, headers=h(user))).json()
    assert [i["id"] for i in failed["items"]] == [ids[1]]

    bad_sort = await api.get("/runs", params={"sort": "-sharpe"}, headers=h(user))
    assert bad_sort.status_code == 422
    assert "created_at" in bad_sort.json()["detail"]
    bad_cursor = await api.get("/runs", params={"cursor": "garbage!!"}, headers=h(user))
    assert bad_cursor.status_code == 422
    bad_status = await api.get("/runs", params={"status": "done"}, headers=h(user))
    assert bad_status.status_code == 422


async def test_a_user_over_the_active_run_cap_gets_429_and_others_are_unaffected(
    make_settings: Any, clean_db: str, redis_client: Any, user: str, other_user: str
) -> None:
    import asyncio

    from asgi_lifespan import LifespanManager

    from vt_backtest.app import create_app

    app = create_app(make_settings(BACKTEST_MAX_ACTIVE_RUNS_PER_USER=3))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"X-Internal-Token": TOKEN}
        ) as api:
            # a burst of concurrent submissions cannot race past the cap
            burst = await asyncio.gather(
                *(api.post("/runs", json={"spec": sma_spec()}, headers=h(user)) for _ in range(6))
            )
            codes = sorted(r.status_code for r in burst)
            assert codes == [202, 202, 202, 429, 429, 429]
            refused = next(r for r in burst if r.status_code == 429)
            assert refused.headers["content-type"] == "application/problem+json"
            problem = refused.json()
            assert problem["type"].endswith("/too-many-runs")
            assert "the limit is 3" in problem["detail"]
            # nothing was stored or queued for the refused ones
            assert db_row(
                clean_db, "SELECT count(*) FROM backtest_runs WHERE user_id = %s", user
            ) == (3,)
            assert len(await redis_client.xrange(queue.JOBS_STREAM)) == 3

            other = await api.post("/runs", json={"spec": sma_spec()}, headers=h(other_user))
            assert other.status_code == 202, other.text

            # a finished run frees a slot
            done = next(r for r in burst if r.status_code == 202).json()["id"]
            db_row(
                clean_db,
                "UPDATE backtest_runs SET status = 'failed' WHERE id = %s RETURNING id",
                done,
            )
            again = await api.post("/runs", json={"spec": sma_spec()}, headers=h(user))
            assert again.status_code == 202, again.text
