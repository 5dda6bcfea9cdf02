"""vt_kit: problem+json handlers, body limits, circuit breaker, token bucket, redaction, settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, SecretStr, ValidationError
from redis.asyncio import Redis

from vt_kit import (
    CircuitBreaker,
    CircuitOpenError,
    InternalAuth,
    NotFound,
    ServiceSettings,
    TokenBucket,
    create_service_app,
    redact,
)
from vt_kit.http import retry_async


class Echo(BaseModel):
    n: int


def make_app(max_body: int = 1000) -> FastAPI:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @router.get("/missing")
    async def missing() -> None:
        raise NotFound("Strategy 42 does not exist or is not yours.")

    @router.post("/echo")
    async def echo(body: Echo) -> Echo:
        return body

    @router.get("/internal", dependencies=[InternalAuth])
    async def internal() -> dict[str, str]:
        return {"ok": "yes"}

    settings = ServiceSettings(service_name="kit-test")
    return create_service_app(settings, title="kit test", routers=[router], max_body_bytes=max_body)


@pytest.fixture
async def client(database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app()
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=m.app, raise_app_exceptions=False),
            base_url="http://t",
        ) as c,
    ):
        yield c


async def test_problem_error_renders_rfc9457(client: httpx.AsyncClient) -> None:
    r = await client.get("/missing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/not-found")
    assert body["detail"] == "Strategy 42 does not exist or is not yours."
    assert body["instance"] == "/missing"
    assert body["correlation_id"] == r.headers["x-correlation-id"]


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/echo", json={"n": "many"})
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["loc"] == ["body", "n"]
    assert "n:" in body["detail"]


async def test_unexpected_error_hides_internals(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom")
    assert r.status_code == 500
    assert "secret internals" not in r.text
    assert r.json()["correlation_id"]


async def test_body_limit_answers_413(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/echo",
        content=b'{"n": 1' + b" " * 5000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert "larger than 1,000 bytes" in r.json()["detail"]


async def test_internal_routes_need_the_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/internal")).status_code == 401
    assert (await client.get("/internal", headers={"X-Internal-Token": "wrong"})).status_code == 401
    token = ServiceSettings().internal_token.get_secret_value()
    assert (await client.get("/internal", headers={"X-Internal-Token": token})).json() == {
        "ok": "yes"
    }


async def test_bad_correlation_id_is_replaced(client: httpx.AsyncClient) -> None:
    r = await client.get("/health", headers={"X-Correlation-ID": "bad id with spaces\x01"})
    assert r.headers["x-correlation-id"] != "bad id with spaces\x01"
    assert len(r.headers["x-correlation-id"]) == 32


async def test_circuit_breaker_opens_and_half_opens() -> None:
    now = [0.0]
    breaker = CircuitBreaker("yfinance", failure_threshold=2, reset_after=10, clock=lambda: now[0])

    async def fail() -> None:
        raise httpx.ConnectError("down")

    async def ok() -> str:
        return "ok"

    for _ in range(2):
        with pytest.raises(httpx.ConnectError):
            await breaker.call(fail)
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError, match="yfinance"):
        await breaker.call(ok)
    now[0] = 11
    assert breaker.state == "half_open"
    assert await breaker.call(ok) == "ok"
    assert breaker.state == "closed"


async def test_retry_async_is_bounded() -> None:
    calls = 0

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("nope")

    with pytest.raises(httpx.ConnectError):
        await retry_async(flaky, attempts=3, base_delay=0.001)
    assert calls == 3


async def test_token_bucket_in_real_redis(redis_client: Redis) -> None:
    bucket = TokenBucket(redis_client, capacity=3, refill_per_sec=0.5, prefix="vt:test:rl")
    decisions = [await bucket.take("ip:1.2.3.4") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 1.5 < decisions[-1].retry_after_s <= 2.0
    assert (await bucket.take("ip:5.6.7.8")).allowed  # buckets are per key


def test_redact_masks_secrets() -> None:
    line = 'login password=hunter2 Authorization: Bearer abc.def.ghi url=postgresql://u:pw@db/x token="t0k"'
    masked = redact(line)
    for secret in ("hunter2", "abc.def.ghi", ":pw@", "t0k"):
        assert secret not in masked


def test_settings_refuse_default_secrets_in_production() -> None:
    with pytest.raises(ValidationError, match="INTERNAL_TOKEN must be set"):
        ServiceSettings(VT_ENV="production")
    ok = ServiceSettings(VT_ENV="production", INTERNAL_TOKEN=SecretStr("x" * 40))
    assert ok.is_production
    assert "x" * 40 not in repr(ok)


def test_logs_are_json_with_context(capsys: pytest.CaptureFixture[str]) -> None:
    from vt_kit.context import correlation_id_var
    from vt_kit.logging import configure_logging

    configure_logging("kit-test")
    token = correlation_id_var.set("cid-1")
    try:
        logging.getLogger("x").info("hello password=swordfish")
    finally:
        correlation_id_var.reset(token)
    out = capsys.readouterr().out.strip().splitlines()[-1]
    import json

    record = json.loads(out)
    assert record["service"] == "kit-test"
    assert record["correlation_id"] == "cid-1"
    assert "swordfish" not in record["message"]
