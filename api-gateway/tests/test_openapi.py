"""The OpenAPI document: printable without servers, complete, and honoured by the live app
(schemathesis: no 5xx, no response that violates the schema)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from vt_gateway.testing import PASSWORD, serve_stack, trading_apps


def test_openapi_module_prints_the_document() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vt_gateway.openapi"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    doc = json.loads(out.stdout)
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/users/me/settings",
        "/api/v1/chat/strategy",
        "/api/v1/backtest/run",
        "/api/v1/backtest/{run_id}",
        "/api/v1/backtest/{run_id}/events",
        "/api/v1/backtests",
        "/api/v1/strategies",
        "/api/v1/strategies/{strategy_id}",
        "/api/v1/strategies/{strategy_id}/versions",
        "/api/v1/market/data",
        "/api/v1/market/symbols",
        "/api/v1/market/uploads",
        "/api/v1/market/insight",
        "/api/v1/schemas/strategy",
        "/api/v1/admin/users",
        "/api/v1/deployments",
        "/api/v1/deployments/{deployment_id}",
        "/api/v1/deployments/{deployment_id}/fills",
        "/api/v1/deployments/{deployment_id}/pnl",
        "/api/v1/trading/positions",
        "/api/v1/trading/exceptions",
        "/api/v1/trading/reconcile",
        "/api/v1/trading/risk",
        "/api/v1/trading/kill",
        "/api/v1/trading/rearm",
        "/api/v1/trading/events",
    ):
        assert path in paths, path
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    login = paths["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]
    assert "examples" in json.dumps(doc["components"]["schemas"]["LoginRequest"])
    # every error is documented as a problem
    for item in paths.values():
        for op in item.values():
            for code, response in op["responses"].items():
                if code[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        op["summary"],
                        code,
                    )
    assert out.stderr == "" or "Traceback" not in out.stderr


EXCLUDED = {
    ("POST", "/api/v1/auth/logout"),  # would end the session the run authenticates with
    ("GET", "/api/v1/trading/events"),  # an endless stream
}
TRADING_PATHS = ("/api/v1/deployments", "/api/v1/trading/")


@pytest.mark.timeout(240)
def test_schemathesis_against_the_live_app(clean_db: str, redis_url: str) -> None:
    # the trading routes are fuzzed against the real trading service once it exists (no stub)
    trading_ready = len(trading_apps(redis_url)) == 2
    with serve_stack(redis_url) as base:
        with httpx.Client(base_url=base) as client:
            client.post(
                "/api/v1/auth/register", json={"email": "fuzz@example.com", "password": PASSWORD}
            )
            token = client.post(
                "/api/v1/auth/login", json={"email": "fuzz@example.com", "password": PASSWORD}
            ).json()["access_token"]
            # something to find: a strategy and a run
            auth = {"Authorization": f"Bearer {token}"}
            client.post(
                "/api/v1/chat/strategy", json={"message": "Buy SPY on a golden cross"}, headers=auth
            )
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        failures: list[str] = []
        operations = 0
        calls = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in EXCLUDED:
                continue
            if not trading_ready and operation.path.startswith(TRADING_PATHS):
                continue
            operations += 1
            strategy = operation.as_strategy()

            @given(case=strategy)
            @settings(
                max_examples=10,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=base, headers=auth, timeout=10)
                try:
                    case.validate_response(
                        response,
                        checks=[
                            not_a_server_error,
                            response_schema_conformance,
                            content_type_conformance,
                            status_code_conformance,
                        ],
                    )
                except Exception as exc:  # collect, and keep testing the other operations
                    failures.append(f"{case.method} {case.formatted_path}: {exc}")

            run()
        assert operations >= 20
        print(f"schemathesis: {operations} operations, {calls} calls, {len(failures)} failures")
        assert not failures, "\n\n".join(failures[:10])
