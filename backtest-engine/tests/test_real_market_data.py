"""Jobs fed by the REAL market-data service (`vt_market_data`, served on a loopback port) with
its offline samples: real daily AAPL/MSFT history 2000-2013, no internet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from bt_testkit import TOKEN, sma_spec
from test_engine_jobs import LEGIT_CODE, run_to_end

from vt_backtest.settings import Settings
from vt_contracts import BacktestResult


@pytest.fixture
async def real_worker(
    make_settings: Callable[..., Settings], make_worker: Any, real_market_data_url: str
) -> Any:
    settings = make_settings(MARKET_DATA_URL=real_market_data_url)
    return await (await make_worker(settings_=settings)).start()


def h(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


async def test_sample_aapl_sma_crossover(
    api: httpx.AsyncClient, user: str, real_worker: Any
) -> None:
    spec = sma_spec("SAMPLE:AAPL", 20, 50, period={"start": "2003-01-01", "end": "2012-12-31"})
    body = await run_to_end(api, user, {"spec": spec})
    assert body["status"] == "succeeded", body["error"]
    result = BacktestResult.model_validate(body["result"])
    stats = result.summary_stats
    assert stats.bars > 2400  # ~10 years of trading days
    assert stats.trade_count > 10
    assert stats.start.year == 2003
    assert stats.end.year == 2012
    assert "sample" in result.provenance.data_sources["SAMPLE:AAPL"]


async def test_sample_code_strategy(api: httpx.AsyncClient, user: str, real_worker: Any) -> None:
    body = await run_to_end(
        api,
        user,
        {
            "code": {
                "code": LEGIT_CODE,
                "symbols": ["SAMPLE:MSFT"],
                "start": "2005-01-01",
                "end": "2010-12-31",
                "params": {"fast": 10, "slow": 40},
            }
        },
    )
    assert body["status"] == "succeeded", body["error"]


async def test_unknown_symbol_from_real_service(
    api: httpx.AsyncClient, user: str, real_worker: Any
) -> None:
    body = await run_to_end(api, user, {"spec": sma_spec("SAMPLE:NOSUCH")})
    assert body["status"] == "failed"
    err = body["error"]
    assert err["status"] in (422, 502), err
    assert "SAMPLE:NOSUCH" in err["detail"]


def test_real_service_is_used(real_market_data_url: str) -> None:
    r = httpx.get(
        real_market_data_url + "/ohlcv",
        params={"symbol": "SAMPLE:AAPL", "start": "2010-01-01", "end": "2010-02-01"},
        headers={"X-Internal-Token": TOKEN},
    )
    assert r.status_code == 200, r.text
    assert r.json()["provider"] == "sample"
