"""Trading live updates: events the trading services publish on `vt:trading:user:{id}` reach the
user's SSE stream and the user's WebSocket (`/ws/backtests`, which carries backtest and trading
events, each typed), and nobody else's (real gateway, real Redis)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from vt_gateway.testing import register_and_login, serve_stack


async def _user_id(gw: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await gw.get("/api/v1/users/me", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


@pytest.mark.timeout(120)
async def test_sse_fans_out_only_the_users_events(clean_db: str, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    got: list[str] = []
    try:
        with serve_stack(redis_url) as base:
            async with httpx.AsyncClient(base_url=base, timeout=20) as gw:
                alice = await register_and_login(gw, "ev-alice@example.com")
                bob = await register_and_login(gw, "ev-bob@example.com")
                alice_id, bob_id = await _user_id(gw, alice), await _user_id(gw, bob)

                async def read() -> None:
                    async with gw.stream(
                        "GET",
                        "/api/v1/trading/events",
                        params={"deployment_id": "dep-1"},
                        headers=alice,
                    ) as r:
                        assert r.status_code == 200
                        assert r.headers["content-type"].startswith("text/event-stream")
                        async for line in r.aiter_lines():
                            got.append(line)
                            if line.startswith("data:") and "fill-1" in line:
                                return

                task = asyncio.create_task(read())
                try:
                    channel = f"vt:trading:user:{alice_id}"
                    for _ in range(250):  # until the stream has subscribed
                        if (await redis.pubsub_numsub(channel))[0][1]:
                            break
                        await asyncio.sleep(0.02)
                    publish = [
                        (
                            bob_id,
                            {"type": "fill", "data": {"id": "bob-fill", "deployment_id": "dep-1"}},
                        ),
                        (
                            alice_id,
                            {"type": "order", "data": {"id": "o-9", "deployment_id": "dep-2"}},
                        ),
                        (alice_id, {"type": "nonsense", "data": {"deployment_id": "dep-1"}}),
                        (
                            alice_id,
                            {"type": "deployment", "data": {"id": "dep-1", "status": "running"}},
                        ),
                        (
                            alice_id,
                            {"type": "fill", "data": {"id": "fill-1", "deployment_id": "dep-1"}},
                        ),
                    ]
                    for user, event in publish:
                        await redis.publish(f"vt:trading:user:{user}", orjson.dumps(event))
                    await asyncio.wait_for(task, 10)
                finally:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
    finally:
        await redis.aclose()
    events = [line[len("event: ") :] for line in got if line.startswith("event: ")]
    assert events == ["deployment", "fill"]
    text = "\n".join(got)
    assert "bob-fill" not in text
    assert "o-9" not in text


@pytest.mark.timeout(120)
async def test_the_users_websocket_carries_typed_backtest_and_trading_events(
    clean_db: str, redis_url: str
) -> None:
    """`/ws/backtests`, the per-user socket, carries trading events too; each user only theirs."""
    redis = Redis.from_url(redis_url)
    try:
        with serve_stack(redis_url) as base:
            ws_base = base.replace("http://", "ws://")
            async with httpx.AsyncClient(base_url=base) as client:
                alice = await register_and_login(client, "wst-alice@example.com")
                bob = await register_and_login(client, "wst-bob@example.com")
                alice_id, bob_id = await _user_id(client, alice), await _user_id(client, bob)
                a_token, b_token = alice["Authorization"][7:], bob["Authorization"][7:]
                async with (
                    connect(
                        f"{ws_base}/api/v1/ws/backtests",
                        subprotocols=["vt.v1", f"bearer.{a_token}"],  # type: ignore[list-item]
                    ) as a_ws,
                    connect(
                        f"{ws_base}/api/v1/ws/backtests",
                        subprotocols=["vt.v1", f"bearer.{b_token}"],  # type: ignore[list-item]
                    ) as b_ws,
                ):
                    assert a_ws.subprotocol == "vt.v1"
                    for channel in (
                        f"vt:trading:user:{alice_id}",
                        f"vt:bt:user:{alice_id}",
                        f"vt:trading:user:{bob_id}",
                    ):
                        for _ in range(200):
                            if (await redis.pubsub_numsub(channel))[0][1]:
                                break
                            await asyncio.sleep(0.02)
                    trading = f"vt:trading:user:{alice_id}"
                    sent = [
                        (f"vt:trading:user:{bob_id}", {"type": "fill", "data": {"id": "bob-f"}}),
                        (trading, {"type": "nonsense", "data": {"id": "x"}}),
                        (
                            trading,
                            {
                                "type": "deployment",
                                "environment": "paper",
                                "data": {"id": "d-1", "status": "running"},
                            },
                        ),
                        (
                            f"vt:bt:user:{alice_id}",
                            {"id": "run-1", "status": "running", "progress": 0.5},
                        ),
                        (trading, {"type": "order", "data": {"id": "o-1", "state": "accepted"}}),
                        (trading, {"type": "fill", "data": {"id": "f-1", "qty": "10"}}),
                        (trading, {"type": "risk", "data": {"account_id": "a", "state": "halted"}}),
                    ]
                    for channel, event in sent:
                        await redis.publish(channel, orjson.dumps(event))
                    got = [orjson.loads(await asyncio.wait_for(a_ws.recv(), 10)) for _ in range(5)]
                    assert [g["type"] for g in got] == [
                        "deployment",
                        "backtest",
                        "order",
                        "fill",
                        "risk",
                    ]
                    assert got[1] == {
                        "type": "backtest",
                        "id": "run-1",
                        "status": "running",
                        "progress": 0.5,
                    }
                    assert got[0]["data"] == {"id": "d-1", "status": "running"}
                    # bob gets his own fill and nothing of alice's
                    assert orjson.loads(await asyncio.wait_for(b_ws.recv(), 10))["data"] == {
                        "id": "bob-f"
                    }
                    with pytest.raises(TimeoutError):
                        await asyncio.wait_for(b_ws.recv(), 0.5)
                # unauthenticated: refused at the handshake
                with pytest.raises(InvalidStatus):
                    async with connect(f"{ws_base}/api/v1/ws/backtests"):
                        pass
    finally:
        await redis.aclose()
