"""Jobs on the real engine (vt_engine) and sandbox (vt_sandbox), data over HTTP from a
market-data stand-in: results, provenance, custom code, and every bad-input path."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pandas as pd
import pytest
from bt_testkit import db_row, sma_spec, synthetic_frame
from test_queue import wait_status

import vt_engine
from vt_contracts import BacktestResult, BacktestRun, StrategySpec
from vt_engine.live import trim_warmup


def h(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


LEGIT_CODE = """
def generate_signals(data, params):
    fast = data["close"].rolling(params["fast"]).mean()
    slow = data["close"].rolling(params["slow"]).mean()
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    return entries, exits
"""

MALICIOUS_CODE = """
import os

def generate_signals(data, params):
    os.system("cat /etc/passwd")
    return data["close"] > 0, data["close"] < 0
"""

WRONG_SHAPE_CODE = """
def generate_signals(data, params):
    return data["close"].iloc[:10] > 0, data["close"].iloc[:10] < 0
"""


LOOKAHEAD_CODE = """
def generate_signals(data, params):
    tomorrow = data["close"].shift(-1)
    return (tomorrow > data["close"]).fillna(False), (tomorrow < data["close"]).fillna(False)
"""


def code_body(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": {
            "code": code,
            "symbols": ["DEMO:CODE"],
            "start": "2012-01-01",
            "end": "2016-12-31",
            "params": {"fast": 10, "slow": 40},
            **extra,
        }
    }


@pytest.fixture
async def engine_worker(make_worker: Any) -> Any:
    return await (await make_worker()).start()


async def run_to_end(api: httpx.AsyncClient, user: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.post("/runs", json=body, headers=h(user))
    assert r.status_code == 202, r.text
    return await wait_status(api, user, r.json()["id"], "succeeded", "failed", within=120)


async def test_spec_run_succeeds_with_traceable_provenance(
    api: httpx.AsyncClient, user: str, clean_db: str, engine_worker: Any
) -> None:
    spec = sma_spec(benchmark={"symbol": "DEMO:BENCH"})
    body = await run_to_end(api, user, {"spec": spec, "gates": {"min_trades": 5}})
    assert body["status"] == "succeeded", body["error"]
    run = BacktestRun.model_validate(body)
    result = run.result
    assert result is not None
    assert result.summary_stats.trade_count > 0
    assert result.benchmark_curve is not None
    assert {g.name for g in result.gates}
    # the server's strict profile decides; the request's thresholds are only a labelled what-if
    assert result.gate_profile == "strict"
    assert {g.profile for g in result.gates} == {"strict"}
    assert next(g for g in result.gates if g.name == "min_trades").threshold == 30
    assert {g.profile for g in result.what_if_gates} == {"what_if"}
    assert next(g for g in result.what_if_gates if g.name == "min_trades").threshold == 5
    assert set(result.provenance.data_sources) >= {"DEMO:TREND", "DEMO:BENCH"}

    row = db_row(
        clean_db,
        "SELECT spec_hash, data_hash, engine_version, run_hash FROM backtest_runs WHERE id = %s",
        run.id,
    )
    prov = result.provenance
    assert row == (prov.spec_hash, prov.data_hash, prov.engine_version, prov.run_hash)
    assert prov.engine_version == vt_engine.ENGINE_VERSION
    assert prov.spec_hash == StrategySpec.model_validate(spec).spec_hash()

    # re-run in process on the same bars (the period plus the warm-up the worker fetched and
    # trimmed): the same hashes and numbers
    def bars(symbol: str) -> pd.DataFrame:
        return synthetic_frame(symbol, date(2005, 1, 1), date(2019, 12, 31))

    local_spec = StrategySpec.model_validate(spec)
    frames, warm = trim_warmup({"DEMO:TREND": bars("DEMO:TREND")}, local_spec, date(2010, 1, 1))
    assert prov.warmup_bars == warm.used == warm.required
    local = vt_engine.run_backtest(local_spec, frames, benchmark=bars("DEMO:BENCH"))
    assert local.provenance.run_hash == prov.run_hash
    assert local.summary_stats == result.summary_stats
    stored = db_row(clean_db, "SELECT payload FROM backtest_results WHERE run_id = %s", run.id)[0]
    assert BacktestResult.model_validate(stored) == result

    listed = (await api.get("/runs", headers=h(user))).json()["items"][0]
    assert listed["summary"]["trade_count"] == result.summary_stats.trade_count
    assert listed["run_hash"] == prov.run_hash


async def test_legit_code_runs_in_the_sandbox(
    api: httpx.AsyncClient, user: str, engine_worker: Any
) -> None:
    body = await run_to_end(api, user, code_body(LEGIT_CODE))
    assert body["status"] == "succeeded", body["error"]
    result = BacktestResult.model_validate(body["result"])
    assert result.summary_stats.trade_count > 0
    assert result.provenance.data_sources["DEMO:CODE"].startswith("demo")


async def test_malicious_code_is_rejected_with_lines(
    api: httpx.AsyncClient, user: str, engine_worker: Any, clean_db: str
) -> None:
    body = await run_to_end(api, user, code_body(MALICIOUS_CODE))
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] == 422
    assert err["type"].endswith("sandbox-policy-violation")
    assert "line 2" in err["detail"]
    assert "os" in err["detail"]
    assert any("line 5" in e["msg"] for e in err["errors"]), err["errors"]
    assert body["result"] is None
    assert db_row(clean_db, "SELECT count(*) FROM backtest_results")[0] == 0


async def test_bad_signals_from_code_are_a_422_problem(
    api: httpx.AsyncClient, user: str, engine_worker: Any
) -> None:
    body = await run_to_end(api, user, code_body(WRONG_SHAPE_CODE))
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] == 422
    assert err["type"].endswith("sandbox-bad-output")
    assert "10 values" in err["detail"]


async def test_code_that_looks_ahead_is_refused_naming_the_bar(
    api: httpx.AsyncClient, user: str, engine_worker: Any
) -> None:
    body = await run_to_end(api, user, code_body(LOOKAHEAD_CODE))
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] == 422, err
    assert err["type"].endswith("sandbox-look-ahead"), err
    assert err["title"] == "Strategy code looks ahead"
    assert err["detail"].startswith("Your strategy code was refused (look_ahead): ")
    assert "looks ahead" in err["detail"]
    assert "(bar " in err["detail"]
    assert "when the data ends on" in err["detail"]


async def test_engine_rejection_becomes_a_422_problem(
    api: httpx.AsyncClient, user: str, engine_worker: Any
) -> None:
    body = await run_to_end(api, user, {"spec": sma_spec("NEG:ONE")})
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] == 422, err
    assert err["type"].endswith("backtest-bad-data"), err
    assert "negative prices" in err["detail"]


@pytest.mark.parametrize(
    ("spec", "status", "slug", "needles"),
    [
        (sma_spec("NOPE:XYZ"), 422, "unknown-symbol", ["NOPE:XYZ", "no data"]),
        (sma_spec("EMPTY:ONE"), 422, "no-data", ["EMPTY:ONE", "no 1d bars"]),
        (
            # the stand-in's data start in 2005: no warm-up history to fetch before this period
            sma_spec(period={"start": "2005-01-01", "end": "2005-03-02"}),
            422,
            "insufficient-data",
            ["only 43", "at least 52", "Widen the period"],
        ),
        (sma_spec("DOWN:ONE"), 503, "upstream", ["market-data", "DOWN:ONE", "503"]),
    ],
)
async def test_bad_data_fails_the_run_with_a_clear_problem(
    api: httpx.AsyncClient,
    user: str,
    engine_worker: Any,
    spec: dict[str, Any],
    status: int,
    slug: str,
    needles: list[str],
) -> None:
    body = await run_to_end(api, user, {"spec": spec})
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] == status, err
    assert err["type"].endswith(slug), err
    for needle in needles:
        assert needle in err["detail"], (needle, err["detail"])
    assert body["result"] is None


async def test_unreachable_market_data_is_a_503_naming_it(
    api: httpx.AsyncClient, user: str, make_settings: Any, make_worker: Any
) -> None:
    dead = make_settings(MARKET_DATA_URL="http://127.0.0.1:9")
    await (await make_worker(settings_=dead)).start()
    body = await run_to_end(api, user, {"spec": sma_spec()})
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] == 503
    assert err["service"] == "market-data"
    assert "market-data could not be reached" in err["detail"]


async def test_user_id_is_forwarded_to_market_data(
    api: httpx.AsyncClient, user: str, engine_worker: Any, market_data_app: Any
) -> None:
    """market-data serves the user's own uploads first, so the owner travels with each fetch."""
    body = await run_to_end(api, user, {"spec": sma_spec("DEMO:MINE")})
    assert body["status"] == "succeeded"
    assert ("DEMO:MINE", user) in market_data_app.state.calls


async def test_raw_prices_are_asked_for_when_the_spec_says_so(
    api: httpx.AsyncClient, user: str, engine_worker: Any, market_data_app: Any
) -> None:
    raw = sma_spec("DEMO:RAWPX")
    raw["universe"]["adjust"] = "raw"
    body = await run_to_end(api, user, {"spec": raw})
    assert body["status"] == "succeeded", body["error"]
    assert ("DEMO:RAWPX", False) in market_data_app.state.adjust
    body = await run_to_end(api, user, {"spec": sma_spec("DEMO:ADJPX")})
    assert ("DEMO:ADJPX", True) in market_data_app.state.adjust


async def test_walk_forward_runs_through_the_service(
    api: httpx.AsyncClient, user: str, engine_worker: Any
) -> None:
    body = await run_to_end(
        api,
        user,
        {
            "spec": sma_spec(),
            "walk_forward": {
                "parameters": {"fast.window": [10, 20], "slow.window": [50, 80]},
                "in_sample_bars": 504,
                "out_of_sample_bars": 252,
            },
        },
    )
    assert body["status"] == "succeeded", body["error"]
    result = BacktestResult.model_validate(body["result"])
    assert result.walk_forward is not None
    assert len(result.walk_forward.windows) >= 5
    assert any(g.name for g in result.gates)
