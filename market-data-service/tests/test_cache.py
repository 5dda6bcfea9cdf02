"""Cache behaviour against real Redis and PostgreSQL, with the Binance stub counting calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from md_stubs import StubServer
from md_testkit import _client, db_count, make_settings
from redis.asyncio import Redis

from vt_contracts.ohlcv import OHLCVFrame
from vt_market_data.app import create_app

BTC_1H = {"symbol": "BTC/USDT", "timeframe": "1h"}


def ms(day: str) -> int:
    return int(pd.Timestamp(day, tz="UTC").timestamp() * 1000)


async def md_keys(redis: Redis) -> set[bytes]:
    return {k async for k in redis.scan_iter(match="vt:md:frame:*")}


async def test_second_request_is_served_from_cache(
    client: httpx.AsyncClient, stubs: dict[str, StubServer], md_redis: Redis, clean_db: str
) -> None:
    params = {**BTC_1H, "start": "2024-01-01", "end": "2024-01-02"}
    first = await client.get("/ohlcv", params=params)
    assert first.status_code == 200
    assert len(stubs["binance"].calls("/api/v3/klines")) == 1
    assert db_count(clean_db, "SELECT count(*) FROM market_cache") == 48
    assert db_count(clean_db, "SELECT count(*) FROM market_cache_coverage") == 1
    stubs["binance"].reset()
    second = await client.get("/ohlcv", params=params)
    assert second.content == first.content
    assert stubs["binance"].seen == []  # Redis hot cache: zero upstream calls
    # without the hot copy, PostgreSQL still serves it without calling upstream
    for key in await md_keys(md_redis):
        await md_redis.delete(key)
    third = await client.get("/ohlcv", params=params)
    assert OHLCVFrame.model_validate_json(third.content) == OHLCVFrame.model_validate_json(
        first.content
    )
    assert stubs["binance"].seen == []


async def test_partial_overlap_fetches_only_the_missing_part(
    client: httpx.AsyncClient, stubs: dict[str, StubServer], clean_db: str
) -> None:
    r = await client.get("/ohlcv", params={**BTC_1H, "start": "2024-01-02", "end": "2024-01-03"})
    assert r.status_code == 200
    stubs["binance"].reset()
    r = await client.get("/ohlcv", params={**BTC_1H, "start": "2024-01-01", "end": "2024-01-05"})
    f = OHLCVFrame.model_validate_json(r.content)
    assert len(f.timestamps) == 5 * 24
    assert f.quality.ok
    calls = [
        (int(c.params["startTime"]), int(c.params["endTime"]))
        for c in stubs["binance"].calls("/api/v3/klines")
    ]
    # before and after the cached 2 days, nothing else
    assert calls == [
        (ms("2024-01-01"), ms("2024-01-02") - 1),
        (ms("2024-01-04"), ms("2024-01-06") - 1),
    ]
    assert db_count(clean_db, "SELECT count(*) FROM market_cache") == 5 * 24


async def test_upstream_failure_leaves_cache_untouched(
    client: httpx.AsyncClient, stubs: dict[str, StubServer], md_redis: Redis, clean_db: str
) -> None:
    ok = await client.get("/ohlcv", params={**BTC_1H, "start": "2024-01-01", "end": "2024-01-02"})
    assert ok.status_code == 200
    bars = db_count(clean_db, "SELECT count(*) FROM market_cache")
    coverage = db_count(clean_db, "SELECT count(*) FROM market_cache_coverage")
    keys = await md_keys(md_redis)
    stubs["binance"].mode = "error500"
    bad = await client.get("/ohlcv", params={**BTC_1H, "start": "2024-01-01", "end": "2024-01-04"})
    assert bad.status_code == 502
    assert bad.json()["service"] == "ccxt"
    assert db_count(clean_db, "SELECT count(*) FROM market_cache") == bars
    assert db_count(clean_db, "SELECT count(*) FROM market_cache_coverage") == coverage
    assert await md_keys(md_redis) == keys
    # the cached range is still served, and the failed one works once upstream recovers
    stubs["binance"].mode = "ok"
    again = await client.get(
        "/ohlcv", params={**BTC_1H, "start": "2024-01-01", "end": "2024-01-02"}
    )
    assert again.content == ok.content
    healed = await client.get(
        "/ohlcv", params={**BTC_1H, "start": "2024-01-01", "end": "2024-01-04"}
    )
    assert len(OHLCVFrame.model_validate_json(healed.content).timestamps) == 4 * 24


async def test_fifty_concurrent_requests_make_one_upstream_call(
    client: httpx.AsyncClient, stubs: dict[str, StubServer]
) -> None:
    params = {**BTC_1H, "start": "2024-02-01", "end": "2024-02-10"}
    responses = await asyncio.gather(*(client.get("/ohlcv", params=params) for _ in range(50)))
    assert all(r.status_code == 200 for r in responses)
    assert len({r.content for r in responses}) == 1
    assert len(stubs["binance"].calls("/api/v3/klines")) == 1


async def test_two_replicas_share_one_fetch_through_the_redis_lock(
    clean_db: str, md_redis: Redis, stubs: dict[str, StubServer], data_dir: Path
) -> None:
    params = {**BTC_1H, "start": "2024-03-01", "end": "2024-03-03"}

    async def replica(n: int) -> list[httpx.Response]:
        async for c in _client(create_app(make_settings(stubs, data_dir))):
            return list(await asyncio.gather(*(c.get("/ohlcv", params=params) for _ in range(n))))
        raise AssertionError("unreachable")

    a, b = await asyncio.gather(replica(10), replica(10))
    assert all(r.status_code == 200 for r in a + b)
    assert len(stubs["binance"].calls("/api/v3/klines")) == 1


async def test_yfinance_cache_and_partial_overlap(
    client: httpx.AsyncClient, stubs: dict[str, StubServer]
) -> None:
    r = await client.get(
        "/ohlcv", params={"symbol": "AAPL", "start": "2020-02-01", "end": "2020-02-29"}
    )
    assert r.status_code == 200
    stubs["yahoo"].reset()
    r = await client.get(
        "/ohlcv", params={"symbol": "AAPL", "start": "2020-01-01", "end": "2020-02-29"}
    )
    assert r.status_code == 200
    charts = [
        c.params for c in stubs["yahoo"].calls("/v8/finance/chart/AAPL") if "period1" in c.params
    ]
    assert len(charts) == 1
    assert int(charts[0]["period1"]) == int(
        pd.Timestamp("2020-01-01", tz="America/New_York").timestamp()
    )
    assert int(charts[0]["period2"]) == int(
        pd.Timestamp("2020-02-01", tz="America/New_York").timestamp()
    )


def _age_coverage(database_url: str, symbol: str, fetched_at: str) -> None:
    """Pretend the cached ranges of `symbol` were fetched (and last checked) at `fetched_at`."""
    import psycopg

    with psycopg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(
            "UPDATE market_cache_coverage SET fetched_at = %s, meta = meta - 'actions_checked_at' "
            "WHERE symbol = %s",
            (fetched_at, symbol),
        )


async def test_a_split_after_the_cached_range_refreshes_adjusted_bars(
    client: httpx.AsyncClient, stubs: dict[str, StubServer], md_redis: Redis, clean_db: str
) -> None:
    """Adjusted bars cached on 2020-03-01; a 2:1 split on 2020-03-16 rescales every earlier
    adjusted price. The cached range must follow, so no -50% bar appears where old and new meet."""
    from md_stubs import YahooSeries, add_split

    series: YahooSeries = stubs["yahoo"].data["SPLT"]  # type: ignore[attr-defined]
    saved = (series.close, series.splits)
    try:
        first = OHLCVFrame.model_validate_json(
            (
                await client.get(
                    "/ohlcv", params={"symbol": "SPLT", "start": "2020-02-10", "end": "2020-02-28"}
                )
            ).content
        )
        _age_coverage(clean_db, "SPLT", "2020-03-01T00:00:00Z")
        add_split(series, "2020-03-16", 2, 1)
        for key in await md_keys(md_redis):  # a day later: the hot copies have expired
            await md_redis.delete(key)
        stubs["yahoo"].reset()
        again = OHLCVFrame.model_validate_json(
            (
                await client.get(
                    "/ohlcv", params={"symbol": "SPLT", "start": "2020-02-10", "end": "2020-02-28"}
                )
            ).content
        )
        assert again.timestamps == first.timestamps
        for old, new in zip(first.close, again.close, strict=True):
            assert new == pytest.approx(old / 2, rel=1e-6)
        assert stubs["yahoo"].calls("/v8/finance/chart/SPLT")  # it asked upstream again
        # old and new ranges meet without a jump
        whole = OHLCVFrame.model_validate_json(
            (
                await client.get(
                    "/ohlcv", params={"symbol": "SPLT", "start": "2020-02-10", "end": "2020-03-31"}
                )
            ).content
        )
        returns = np.diff(np.asarray(whole.close)) / np.asarray(whole.close[:-1])
        assert float(np.min(returns)) > -0.1
        # raw prices are as traded and never change: before the split they are twice the adjusted
        raw = OHLCVFrame.model_validate_json(
            (
                await client.get(
                    "/ohlcv",
                    params={
                        "symbol": "SPLT",
                        "start": "2020-02-10",
                        "end": "2020-02-28",
                        "adjust": "false",
                    },
                )
            ).content
        )
        assert raw.close == pytest.approx(first.close, rel=1e-6)
    finally:
        series.close, series.splits = saved


async def test_no_new_action_keeps_the_cached_adjusted_bars(
    client: httpx.AsyncClient, stubs: dict[str, StubServer], md_redis: Redis, clean_db: str
) -> None:
    params = {"symbol": "SPLT", "start": "2020-02-10", "end": "2020-02-28"}
    first = await client.get("/ohlcv", params=params)
    _age_coverage(clean_db, "SPLT", "2020-03-01T00:00:00Z")
    for key in await md_keys(md_redis):
        await md_redis.delete(key)
    stubs["yahoo"].reset()
    again = await client.get("/ohlcv", params=params)
    assert again.content == first.content
    # one look at the corporate actions since the fetch, no bars fetched again
    charts = stubs["yahoo"].calls("/v8/finance/chart/SPLT")
    assert len(charts) == 1
    assert int(charts[0].params["period1"]) == int(
        pd.Timestamp("2020-02-10", tz="America/New_York").timestamp()
    )
    stubs["yahoo"].reset()
    third = await client.get("/ohlcv", params={**params, "end": "2020-02-27"})
    assert third.status_code == 200
    assert stubs["yahoo"].calls("/v8/finance/chart/SPLT") == []  # checked recently


def test_stale_rows_rules() -> None:
    from vt_market_data.ohlcv.cache import HOUR_NS, Freshness, stale_rows
    from vt_market_data.ohlcv.repository import CoverageRow

    day = 24 * HOUR_NS
    row = CoverageRow(1, start=10 * day, end=20 * day, meta={}, fetched_at=30 * day)
    fresh = Freshness(actions=None)
    # an action before the range's first bar, or known when it was fetched, changes nothing
    assert stale_rows([row], [5 * day, 25 * day], 40 * day, fresh) == []
    # a later one does
    assert stale_rows([row], [35 * day], 40 * day, fresh) == [row]
    checked = CoverageRow(1, 10 * day, 20 * day, {"actions_checked_at": 50 * day}, 30 * day)
    assert stale_rows([checked], [35 * day], 60 * day, fresh) == []
    # a provider that cannot list actions: ranges expire after max_age
    assert stale_rows([row], None, 30 * day + fresh.max_age_ns - 1, fresh) == []
    assert stale_rows([row], None, 30 * day + fresh.max_age_ns, fresh) == [row]


async def test_polygon_split_after_the_cached_range_refetches_it(
    client: httpx.AsyncClient, stubs: dict[str, StubServer], md_redis: Redis, clean_db: str
) -> None:
    """polygon's adjusted bars are split-adjusted: a split listed by /v3/reference/splits after
    the range was cached drops the range; no split, no refetch."""
    from md_stubs import POLYGON_SPLITS

    params = {"symbol": "AAPL", "provider": "polygon", "start": "2021-01-04", "end": "2021-01-29"}
    aggs = "/v2/aggs/ticker/AAPL/range/1/day/"
    assert (await client.get("/ohlcv", params=params)).status_code == 200
    _age_coverage(clean_db, "AAPL", "2021-01-30T00:00:00Z")
    for key in await md_keys(md_redis):
        await md_redis.delete(key)
    stubs["polygon"].reset()
    assert (await client.get("/ohlcv", params=params)).status_code == 200
    splits = stubs["polygon"].calls("/v3/reference/splits")
    assert len(splits) == 1
    assert splits[0].params["ticker"] == "AAPL"
    assert stubs["polygon"].calls(aggs) == []  # nothing new: the cached range stands
    _age_coverage(clean_db, "AAPL", "2021-01-30T00:00:00Z")
    POLYGON_SPLITS["AAPL"] = ["2021-02-10"]
    try:
        for key in await md_keys(md_redis):
            await md_redis.delete(key)
        stubs["polygon"].reset()
        assert (await client.get("/ohlcv", params=params)).status_code == 200
        assert len(stubs["polygon"].calls(aggs)) == 1  # fetched again
    finally:
        POLYGON_SPLITS.pop("AAPL", None)
