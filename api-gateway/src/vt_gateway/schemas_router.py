"""/api/v1/schemas: the committed JSON Schemas of the contracts."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Response

from vt_contracts import StrategySpec
from vt_gateway.deps import limit_anonymous
from vt_gateway.errors import problem_responses

router = APIRouter(prefix="/schemas", tags=["schemas"], dependencies=[Depends(limit_anonymous)])


@cache
def _strategy_schema() -> bytes:
    return orjson.dumps(StrategySpec.model_json_schema(), option=orjson.OPT_SORT_KEYS)


@router.get(
    "/strategy",
    summary="StrategySpec v1 JSON Schema",
    response_model=dict[str, Any],
    responses=problem_responses(429),
)
async def strategy_schema() -> Response:
    """The JSON Schema of StrategySpec v1 (the same one the LLM is given and the engine enforces)."""
    return Response(
        _strategy_schema(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )
