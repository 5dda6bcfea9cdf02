"""Submitting runs and reading them, with finished runs cached (they never change)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson
from pydantic import ValidationError

from vt_contracts import BacktestRun, CodeStrategy
from vt_gateway.backtests.schemas import BacktestCreate
from vt_gateway.upstream import Upstreams
from vt_kit import Unprocessable, UpstreamError
from vt_kit.problems import validation_errors

FINISHED = frozenset({"succeeded", "failed", "cancelled"})


class FinishedRunCache:
    """In-process LRU of finished runs' JSON, keyed by (user, run): a finished run is immutable."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def get(self, user_id: str, run_id: str) -> bytes | None:
        key = (user_id, run_id)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, user_id: str, run_id: str, content: bytes) -> None:
        if self.size <= 0:
            return
        self._items[(user_id, run_id)] = content
        self._items.move_to_end((user_id, run_id))
        while len(self._items) > self.size:
            self._items.popitem(last=False)


async def submit(up: Upstreams, user_id: str, body: BacktestCreate) -> str:
    payload: dict[str, Any] = {}
    if body.strategy_id is not None:
        path = f"/strategies/{body.strategy_id}"
        if body.strategy_version is not None:
            path += f"/versions/{body.strategy_version}"
        strategy = (await up.strategy_ai.request("GET", path, user_id=user_id)).json()
        spec = strategy.get("spec") if isinstance(strategy, dict) else None
        if not isinstance(spec, dict):
            raise UpstreamError(
                "The strategy-ai-worker returned a strategy without a spec.",
                service=up.strategy_ai.name,
            )
        version = (
            body.strategy_version or strategy.get("version") or strategy.get("current_version")
        )
        payload.update(spec=spec, strategy_id=str(body.strategy_id), strategy_version=version)
    elif body.spec is not None:
        payload["spec"] = body.spec.model_dump(mode="json")
    else:
        fields = {
            k: v
            for k, v in body.model_dump(
                include={
                    "code",
                    "symbols",
                    "timeframe",
                    "start",
                    "end",
                    "initial_capital",
                    "commission",
                    "slippage",
                    "fill",
                    "size",
                    "params",
                },
                exclude_none=True,
            ).items()
        }
        try:
            code = CodeStrategy.model_validate(fields)
        except ValidationError as exc:
            from fastapi.exceptions import RequestValidationError

            errors = validation_errors(RequestValidationError(exc.errors()))
            raise Unprocessable(
                "; ".join(e.msg for e in errors[:3]) or "invalid code strategy", errors=errors
            ) from exc
        payload["code"] = code.model_dump(mode="json")
    if body.walk_forward is not None:
        payload["walk_forward"] = body.walk_forward.model_dump(mode="json")
    if body.gate_profile is not None:
        payload["gate_profile"] = body.gate_profile
    if body.gates is not None:
        payload["gates"] = body.gates.model_dump(mode="json")
    reply = await up.backtest.request("POST", "/runs", user_id=user_id, json=payload)
    created = reply.json()
    if not isinstance(created, dict) or "id" not in created:
        raise UpstreamError(
            "The backtest-engine did not return a run id.", service=up.backtest.name
        )
    return str(created["id"])


async def get_run(up: Upstreams, cache: FinishedRunCache, user_id: str, run_id: str) -> bytes:
    cached = cache.get(user_id, run_id)
    if cached is not None:
        return cached
    reply = await up.backtest.request("GET", f"/runs/{run_id}", user_id=user_id)
    try:
        run = BacktestRun.model_validate_json(reply.content)
    except ValidationError as exc:
        raise UpstreamError(
            "The backtest-engine answered with a run that does not match the contract.",
            service=up.backtest.name,
        ) from exc
    if run.status in FINISHED:
        cache.put(user_id, run_id, reply.content)
    return reply.content


def status_of(content: bytes) -> dict[str, Any]:
    data = orjson.loads(content)
    return {k: data.get(k) for k in ("id", "status", "progress", "error")}
