"""Indicator warm-up (issue 17 item 1): the worker fetches history before ``period.start``,
computes signals on it, trades only inside the period, reports the warm-up in the provenance
and warns when the data does not reach back far enough."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pandas as pd
import pytest
from bt_testkit import sma_spec
from test_queue import wait_status

from vt_backtest.worker.compute import ComputeJob, engine_compute, warmup_fetch_start
from vt_contracts import BacktestRequest, BacktestResult

ABOVE = {
    "kind": "compare",
    "left": {"kind": "indicator", "id": "fast"},
    "op": ">",
    "right": {"kind": "indicator", "id": "slow"},
}
BELOW = {**ABOVE, "op": "<"}
RUN_ID = "00000000-0000-0000-0000-000000000017"


def above_spec(symbol: str, start: str, end: str) -> dict[str, Any]:
    """'Buy while the 20-day SMA is above the 50-day SMA' (no crossover needed to enter)."""
    return sma_spec(symbol, entry=ABOVE, exit=BELOW, period={"start": start, "end": end})


def sample_aapl(start: date | None, end: date) -> pd.DataFrame:
    """SAMPLE:AAPL as market-data serves it for [start, end] (adjusted, offline sample)."""
    from vt_market_data.providers.offline import sample_series

    df = sample_series("AAPL", True).bars.to_frame()
    lo = pd.Timestamp(start or date(1990, 1, 1), tz="UTC")
    hi = pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    return df[(df.index >= lo) & (df.index < hi)]


def run_job(request: BacktestRequest, fetch_from: date | None) -> BacktestResult:
    spec = request.spec
    assert spec is not None
    assert spec.period.end is not None
    data = {"SAMPLE:AAPL": sample_aapl(fetch_from, spec.period.end)}
    return engine_compute(
        ComputeJob(request=request, data=data, benchmark=None, data_sources={}, market="us_equity")
    )


def test_sma_above_sma_on_sample_aapl_enters_in_the_first_days_of_january_2005() -> None:
    request = BacktestRequest.model_validate(
        {"run_id": RUN_ID, "spec": above_spec("SAMPLE:AAPL", "2005-01-03", "2005-12-30")}
    )
    fetch_from = warmup_fetch_start(request)
    assert fetch_from is not None
    assert fetch_from < date(2004, 10, 1)
    result = run_job(request, fetch_from)
    first = result.trades[0]
    # AAPL's 20-day SMA was above its 50-day SMA at the end of 2004: decided on the close of
    # 2005-01-03, filled at the next open
    assert first.entry_time.date() <= date(2005, 1, 5)
    assert result.trades[0].entry_time >= pd.Timestamp("2005-01-03", tz="UTC")
    assert result.equity_curve.timestamps[0].date() == date(2005, 1, 3)  # trades only in the period
    prov = result.provenance
    assert prov.warmup_required == 52
    assert prov.warmup_bars == 52
    assert not any("warm up" in w for w in result.warnings)


def test_without_history_the_entry_is_late_and_a_warning_says_why() -> None:
    """What the worker did before: data from period.start only."""
    request = BacktestRequest.model_validate(
        {"run_id": RUN_ID, "spec": above_spec("SAMPLE:AAPL", "2005-01-03", "2005-12-30")}
    )
    result = run_job(request, date(2005, 1, 3))
    assert result.trades[0].entry_time >= pd.Timestamp("2005-03-01", tz="UTC")
    assert result.provenance.warmup_bars == 0
    assert any("warm up" in w and "52" in w for w in result.warnings)


def test_walk_forward_grid_is_covered_by_the_warmup() -> None:
    request = BacktestRequest.model_validate(
        {
            "run_id": RUN_ID,
            "spec": above_spec("SAMPLE:AAPL", "2005-01-03", "2012-12-31"),
            "walk_forward": {
                "parameters": {"fast.window": [10, 20], "slow.window": [50, 120]},
                "in_sample_bars": 504,
                "out_of_sample_bars": 252,
            },
        }
    )
    plain = BacktestRequest.model_validate({"run_id": RUN_ID, "spec": request.spec})
    fetch_wf, fetch_plain = warmup_fetch_start(request), warmup_fetch_start(plain)
    assert fetch_wf is not None
    assert fetch_plain is not None
    assert fetch_wf < fetch_plain
    result = run_job(request, fetch_wf)
    assert result.provenance.warmup_required == 122  # slow.window 120 + crossover + 1
    assert result.provenance.warmup_bars == 122
    assert result.walk_forward is not None
    assert result.walk_forward.windows[0].in_sample_start.date() == date(2005, 1, 3)


# -- through the service (market-data stand-in: synthetic daily bars from 2005) ---------------


@pytest.fixture
async def engine_worker(make_worker: Any) -> Any:
    return await (await make_worker()).start()


async def run_to_end(api: httpx.AsyncClient, user: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.post("/runs", json=body, headers={"X-User-Id": user})
    assert r.status_code == 202, r.text
    return await wait_status(api, user, r.json()["id"], "succeeded", "failed", within=120)


async def test_service_run_fetches_warmup_and_reports_it(
    api: httpx.AsyncClient, user: str, engine_worker: Any
) -> None:
    body = await run_to_end(
        api, user, {"spec": above_spec("DEMO:WARM", "2010-01-04", "2011-12-30")}
    )
    assert body["status"] == "succeeded", body["error"]
    result = BacktestResult.model_validate(body["result"])
    assert result.provenance.warmup_bars == result.provenance.warmup_required == 52
    assert result.equity_curve.timestamps[0].date() == date(2010, 1, 4)
    assert not any("warm up" in w for w in result.warnings)

    # the stand-in has no bars before 2005: the run says so
    body = await run_to_end(
        api, user, {"spec": above_spec("DEMO:WARM", "2005-01-03", "2006-12-29")}
    )
    assert body["status"] == "succeeded", body["error"]
    result = BacktestResult.model_validate(body["result"])
    assert result.provenance.warmup_bars == 0
    assert any("warm up" in w for w in result.warnings)
