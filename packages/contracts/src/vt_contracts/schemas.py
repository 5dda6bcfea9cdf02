"""Generate (or check) the committed JSON Schemas: `python -m vt_contracts.schemas [--check]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from vt_contracts import (
    BacktestRequest,
    BacktestResult,
    BacktestRun,
    Insight,
    OHLCVFrame,
    Problem,
    StrategySpec,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
REFERENCE_DOC = Path(__file__).resolve().parents[4] / "docs" / "strategy-spec.md"
MODELS: dict[str, type[BaseModel]] = {
    "strategy_spec.v1.json": StrategySpec,
    "backtest_request.json": BacktestRequest,
    "backtest_result.json": BacktestResult,
    "backtest_run.json": BacktestRun,
    "ohlcv_frame.json": OHLCVFrame,
    "insight.json": Insight,
    "problem.json": Problem,
}


def render(model: type[BaseModel]) -> str:
    """JSON Schema of a model, as committed (stable key order, trailing newline)."""
    return (
        json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    drift: list[str] = []
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for filename, model in MODELS.items():
        path = SCHEMA_DIR / filename
        text = render(model)
        if check:
            if not path.exists() or path.read_text() != text:
                drift.append(filename)
        else:
            path.write_text(text)
    from vt_contracts.reference import render_reference

    reference = render_reference()
    if check:
        if REFERENCE_DOC.exists() and REFERENCE_DOC.read_text() != reference:
            drift.append(str(REFERENCE_DOC.name))
    elif REFERENCE_DOC.parent.exists():
        REFERENCE_DOC.write_text(reference)
    if drift:
        sys.stderr.write(
            f"schema drift in {', '.join(drift)}: run `make gen` and commit the result\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
