"""Real yfinance / ccxt / httpx client code against local stubs speaking each provider's format."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from md_stubs import StubServer, make_yahoo_series
from md_testkit import AUTH, _client, make_settings

from vt_contracts.ohlcv import OHLCVFrame
from vt_market_data.app import create_app


def frame(r: httpx.Response) -> OHLCVFrame:
    assert r.status_code == 200, r.text
    return OHLCVFrame.model_validate_json(r.content)


def chart_calls(stub: StubServer) -> list[dict[str, str]]:
    return [s.params for s in stub.calls("/v8/finance/chart/") if "period1" in s.params]


async def test_yfinance_daily_adjusted(
    client: httpx.AsyncClient, stubs: dict[str, StubServer]
) -> None:
    f = frame(
        await client.get(
            "/ohlcv", params={"symbol": "aapl", "start": "2020-01-01", "end": "2020-03-31"}
        )
    )
    calls = [s for s in stubs["yahoo"].calls("/v8/finance/chart/AAPL") if "period1" in s.params]
    assert len(calls) == 1
    p = calls[0].params
    assert p["interval"] == "1d"
    # dates are New York days: 2020-01-01 00:00 EST .. 2020-04-01 00:00 EDT
    assert int(p["period1"]) == int(pd.Timestamp("2020-01-01", tz="America/New_York").timestamp())
    assert int(p["period2"]) == int(pd.Timestamp("2020-04-01", tz="America/New_York").timestamp())
    assert p["events"] == "div,splits,capitalGains"
    assert p["crumb"] == "stubCrumb123"  # yfinance went through the cookie + crumb dance
    assert stubs["yahoo"].calls("/v1/test/getcrumb") or True
    assert f.provider == "yfinance"
    assert f.market == "us_equity"
    assert f.adjusted
    assert f.exchange_timezone == "America/New_York"
    series = make_yahoo_series("AAPL")
    assert len(f.timestamps) == len(series.days)
    # daily bars are stamped at local midnight, stored in UTC
    assert f.timestamps[0] == pd.Timestamp("2020-01-02", tz="America/New_York")
    assert f.timestamps[0].utcoffset() == pd.Timedelta(0)
    np.testing.assert_allclose(f.close, series.adjclose(), rtol=1e-9)
    assert f.quality.ok, f.quality  # MLK day and Presidents' day are holidays, not gaps
    assert "adjusted" in (f.label or "")


async def test_yfinance_raw_undoes_splits(
    client: httpx.AsyncClient, stubs: dict[str, StubServer]
) -> None:
    f = frame(
        await client.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "start": "2020-01-01",
                "end": "2020-03-31",
                "adjust": "false",
            },
        )
    )
    assert not f.adjusted
    series = make_yahoo_series("AAPL")
    days = [t.tz_convert("America/New_York").date() for t in map(pd.Timestamp, f.timestamps)]
    split_at = days.index(pd.Timestamp("2020-02-03").date())
    # Yahoo's close is split-adjusted: before the 4:1 split the traded price was 4x
    np.testing.assert_allclose(f.close[:split_at], series.close[:split_at] * 4)
    np.testing.assert_allclose(f.close[split_at:], series.close[split_at:])
    vol = 1_000_000 + np.arange(len(series.days)) * 1000
    np.testing.assert_allclose(f.volume[:split_at], vol[:split_at] / 4)
    # raw needs the splits after the range, so the request reads on to today
    p = chart_calls(stubs["yahoo"])[-1]
    assert int(p["period2"]) > int(pd.Timestamp("2024-01-01").timestamp())


async def test_yfinance_hong_kong_alias_and_calendar(
    client: httpx.AsyncClient, stubs: dict[str, StubServer]
) -> None:
    f = frame(
        await client.get(
            "/ohlcv", params={"symbol": "tencent", "start": "2020-01-02", "end": "2020-03-31"}
        )
    )
    assert f.symbol == "0700.HK"
    assert f.market == "hk_equity"
    assert f.exchange_timezone == "Asia/Hong_Kong"
    assert stubs["yahoo"].calls("/v8/finance/chart/0700.HK")
    # midnight in Hong Kong is 16:00 UTC the day before
    assert f.timestamps[0] == pd.Timestamp("2020-01-01 16:00", tz="UTC")
    assert f.quality.ok, f.quality  # Lunar New Year closures are holidays on XHKG


async def test_yfinance_real_gap_is_flagged_not_filled(client: httpx.AsyncClient) -> None:
    f = frame(
        await client.get(
            "/ohlcv", params={"symbol": "GAPPY", "start": "2020-01-01", "end": "2020-03-31"}
        )
    )
    gaps = [i for i in f.quality.issues if i.kind == "gap"]
    assert len(gaps) == 1
    assert gaps[0].count == 1
    assert "2020-03-10" in gaps[0].detail
    assert pd.Timestamp("2020-03-10", tz="America/New_York") not in [
        pd.Timestamp(t) for t in f.timestamps
    ]


async def test_yfinance_weekly_from_daily(client: httpx.AsyncClient) -> None:
    d = frame(
        await client.get(
            "/ohlcv", params={"symbol": "AAPL", "start": "2020-01-06", "end": "2020-03-27"}
        )
    )
    w = frame(
        await client.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "timeframe": "1w",
                "start": "2020-01-06",
                "end": "2020-03-27",
            },
        )
    )
    assert len(w.timestamps) == 12
    assert sum(w.volume) == pytest.approx(sum(d.volume))
    assert all(pd.Timestamp(t).tz_convert("America/New_York").weekday() == 0 for t in w.timestamps)


async def test_yfinance_unknown_symbol_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/ohlcv", params={"symbol": "NOPE", "start": "2020-01-01", "end": "2020-02-01"}
    )
    assert r.status_code == 404, r.text
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["service"] == "yfinance"
    assert "yfinance" in body["detail"]


async def test_ccxt_klines(client: httpx.AsyncClient, stubs: dict[str, StubServer]) -> None:
    f = frame(
        await client.get(
            "/ohlcv",
            params={"symbol": "BTC", "timeframe": "4h", "start": "2024-01-01", "end": "2024-01-02"},
        )
    )
    assert f.symbol == "BTC/USDT"
    assert f.provider == "ccxt"
    assert f.market == "crypto"
    assert len(f.timestamps) == 12
    klines = stubs["binance"].calls("/api/v3/klines")
    assert len(klines) == 1
    p = klines[0].params
    assert p["symbol"] == "BTCUSDT"
    assert p["interval"] == "4h"
    assert int(p["startTime"]) == int(pd.Timestamp("2024-01-01", tz="UTC").timestamp() * 1000)
    assert int(p["endTime"]) == int(pd.Timestamp("2024-01-03", tz="UTC").timestamp() * 1000) - 1
    assert stubs["binance"].calls("/api/v3/exchangeInfo")
    assert f.quality.ok


async def test_ccxt_unknown_market_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/ohlcv",
        params={
            "symbol": "XYZ/USDT",
            "timeframe": "1h",
            "start": "2024-01-01",
            "end": "2024-01-02",
        },
    )
    assert r.status_code == 404
    assert r.json()["service"] == "ccxt"


async def test_polygon_aggregates(client: httpx.AsyncClient, stubs: dict[str, StubServer]) -> None:
    f = frame(
        await client.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "provider": "polygon",
                "start": "2021-01-04",
                "end": "2021-01-29",
            },
        )
    )
    assert f.provider == "polygon"
    assert len(f.timestamps) == 20
    calls = stubs["polygon"].calls("/v2/aggs/ticker/AAPL/range/1/day/")
    assert len(calls) == 1
    assert calls[0].params["adjusted"] == "true"
    # the key travels in a header, never in the URL (URLs end up in access and client logs)
    assert "apiKey" not in calls[0].params
    assert {k.lower(): v for k, v in calls[0].headers.items()}["authorization"] == "Bearer test-key"
    assert calls[0].params["sort"] == "asc"


async def test_polygon_bad_key_is_502_naming_polygon(
    clean_db: str, md_redis: object, stubs: dict[str, StubServer], data_dir: Path
) -> None:
    app = create_app(make_settings(stubs, data_dir, POLYGON_API_KEY="wrong"))
    async for c in _client(app):
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "MSFT",
                "provider": "polygon",
                "start": "2021-01-04",
                "end": "2021-01-08",
            },
        )
        assert r.status_code == 502
        assert r.json()["service"] == "polygon"
        assert "POLYGON_API_KEY" in r.json()["detail"]


def _closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


async def test_providers_down_are_503_naming_them(
    clean_db: str, md_redis: object, stubs: dict[str, StubServer], data_dir: Path
) -> None:
    dead = _closed_port()
    settings = make_settings(
        stubs,
        data_dir,
        VT_YFINANCE_BASE_URL=dead,
        VT_CCXT_API_BASE_URL=dead,
        VT_POLYGON_BASE_URL=dead,
    )
    async for c in _client(create_app(settings)):
        r = await c.get(
            "/ohlcv", params={"symbol": "AAPL", "start": "2020-01-01", "end": "2020-02-01"}
        )
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["service"] == "yfinance"
        assert "could not reach Yahoo Finance" in body["detail"]
        assert "SAMPLE:AAPL" in body["detail"]  # the offline samples are named, never substituted
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "ETH/USDT",
                "timeframe": "1h",
                "start": "2024-01-01",
                "end": "2024-01-02",
            },
        )
        assert r.status_code == 503
        assert r.json()["service"] == "ccxt"
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "provider": "polygon",
                "start": "2021-01-04",
                "end": "2021-01-08",
            },
        )
        assert r.status_code == 503
        assert r.json()["service"] == "polygon"


async def test_provider_errors_502_and_timeout_504(
    clean_db: str, md_redis: object, stubs: dict[str, StubServer], data_dir: Path
) -> None:
    settings = make_settings(stubs, data_dir, VT_MD_UPSTREAM_TIMEOUT=0.5, VT_MD_RETRY_ATTEMPTS=2)
    async for c in _client(create_app(settings)):
        stubs["binance"].mode = "error500"
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "BTC/USDT",
                "timeframe": "1h",
                "start": "2024-01-01",
                "end": "2024-01-02",
            },
        )
        assert r.status_code == 502, r.text
        assert r.json()["service"] == "ccxt"
        stubs["polygon"].mode = "slow"
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "provider": "polygon",
                "start": "2021-01-04",
                "end": "2021-01-08",
            },
        )
        assert r.status_code == 504, r.text
        assert r.json()["service"] == "polygon"
        assert len(stubs["polygon"].seen) == 2  # bounded retries


async def test_circuit_breaker_opens(
    clean_db: str, md_redis: object, stubs: dict[str, StubServer], data_dir: Path
) -> None:
    settings = make_settings(stubs, data_dir, VT_MD_BREAKER_FAILURES=2, VT_MD_RETRY_ATTEMPTS=1)
    async for c in _client(create_app(settings)):
        stubs["polygon"].mode = "error500"
        for _ in range(2):
            r = await c.get(
                "/ohlcv",
                params={
                    "symbol": "AAPL",
                    "provider": "polygon",
                    "start": "2021-01-04",
                    "end": "2021-01-08",
                },
            )
            assert r.status_code == 502
        before = len(stubs["polygon"].seen)
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "provider": "polygon",
                "start": "2021-01-04",
                "end": "2021-01-08",
            },
        )
        assert r.status_code == 503
        assert r.json()["service"] == "polygon"
        assert "paused" in r.json()["detail"]
        assert len(stubs["polygon"].seen) == before  # refused without calling upstream


def test_auth_header_constant() -> None:
    assert "X-Internal-Token" in AUTH


async def test_yfinance_intraday_hours_and_4h_from_1h(
    client: httpx.AsyncClient, stubs: dict[str, StubServer]
) -> None:
    params = {"symbol": "AAPL", "start": "2020-03-02", "end": "2020-03-06"}
    hourly = frame(await client.get("/ohlcv", params={**params, "timeframe": "1h"}))
    calls = chart_calls(stubs["yahoo"])
    assert [c["interval"] for c in calls] == ["1h"]
    assert len(hourly.timestamps) == 5 * 7  # 09:30 ... 15:30 New York
    first = pd.Timestamp(hourly.timestamps[0]).tz_convert("America/New_York")
    assert (first.hour, first.minute) == (9, 30)
    assert hourly.quality.ok, hourly.quality
    four = frame(await client.get("/ohlcv", params={**params, "timeframe": "4h"}))
    assert len(chart_calls(stubs["yahoo"])) == 1  # 4h is built from the cached 1h bars
    assert len(four.timestamps) == 5 * 2  # 09:30-13:30 and 13:30-16:00 each day
    assert sum(four.volume) == sum(hourly.volume)
    assert four.high[0] == max(hourly.high[:4])


async def test_rate_limit_per_provider(
    clean_db: str, md_redis: object, stubs: dict[str, StubServer], data_dir: Path
) -> None:
    settings = make_settings(stubs, data_dir, VT_MD_RATE_BURST=1.0, VT_MD_RATE_PER_SEC=0.01)
    async for c in _client(create_app(settings)):
        ok = await c.get(
            "/ohlcv",
            params={
                "symbol": "BTC/USDT",
                "timeframe": "1h",
                "start": "2024-01-01",
                "end": "2024-01-01",
            },
        )
        assert ok.status_code == 200
        before = len(stubs["binance"].seen)
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "BTC/USDT",
                "timeframe": "1h",
                "start": "2024-01-05",
                "end": "2024-01-05",
            },
        )
        assert r.status_code == 503, r.text
        assert r.json()["service"] == "ccxt"
        assert "rate limit" in r.json()["detail"]
        assert len(stubs["binance"].seen) == before
        # other providers have their own bucket
        r = await c.get(
            "/ohlcv",
            params={
                "symbol": "AAPL",
                "provider": "polygon",
                "start": "2021-01-04",
                "end": "2021-01-08",
            },
        )
        assert r.status_code == 200
