"""The backtest service evaluates gates with the server profile; request thresholds are what-ifs."""

from __future__ import annotations

import uuid

from bt_testkit import sma_spec

from vt_backtest.runs.schemas import CreateRun
from vt_backtest.runs.service import build_request, parse_request


def test_stored_request_keeps_profile_and_what_if_apart() -> None:
    body = CreateRun.model_validate(
        {"spec": sma_spec(), "gate_profile": "relaxed", "gates": {"min_trades": 1}}
    )
    stored = build_request(uuid.uuid4(), uuid.uuid4(), body)
    req = parse_request(stored)
    assert req.gate_profile == "relaxed"
    assert req.gates is not None
    assert req.gates.min_trades == 1


def test_no_thresholds_means_no_what_if_and_strict_by_default() -> None:
    body = CreateRun.model_validate({"spec": sma_spec()})
    req = parse_request(build_request(uuid.uuid4(), uuid.uuid4(), body))
    assert req.gate_profile == "strict"
    assert req.gates is None


def test_old_stored_requests_still_parse() -> None:
    body = CreateRun.model_validate({"spec": sma_spec()})
    stored = build_request(uuid.uuid4(), uuid.uuid4(), body)
    stored.pop("gate_profile")
    stored["gates"] = {"min_trades": 30}  # written before gates became what-if only
    req = parse_request(stored)
    assert req.gate_profile == "strict"
    assert req.gates is not None
