"""The HTTP contract: auth, validation errors, symbol search, offline samples."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from vt_contracts.ohlcv import OHLCVFrame


def frame(r: httpx.Response) -> OHLCVFrame:
    assert r.status_code == 200, r.text
    return OHLCVFrame.model_validate_json(r.content)


@pytest.mark.parametrize("path", ["/ohlcv?symbol=SAMPLE:AAPL", "/symbols/search?q=a", "/uploads"])
async def test_internal_token_required(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path, headers={"X-Internal-Token": ""})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.get(path, headers={"X-Internal-Token": "wrong"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        (
            {"symbol": "SAMPLE:AAPL", "start": "2010-01-01", "end": "2009-01-01"},
            422,
            "must be before end",
        ),
        ({"symbol": "SAMPLE:AAPL", "timeframe": "2h"}, 422, "timeframe '2h' is not supported"),
        ({"symbol": "SAMPLE:AAPL", "start": "yesterday-ish"}, 422, "not a date"),
        ({"symbol": "SAMPLE:AAPL", "timeframe": "1h"}, 422, "DEMO:TREND"),
        (
            {"symbol": "DEMO:TREND", "timeframe": "1m", "start": "1990-01-01", "end": "2024-01-01"},
            422,
            "at most",
        ),
        ({"symbol": "SAMPLE:XYZ"}, 404, "unknown symbol"),
        ({"symbol": "not a symbol!"}, 404, "unknown symbol"),
        ({"symbol": "AAPL", "provider": "nasdaq"}, 422, "provider 'nasdaq'"),
        ({"symbol": "BTC/USDT", "provider": "yfinance"}, 422, "routes to ccxt"),
        ({"symbol": "MYSTUFF", "provider": "upload"}, 404, "no upload"),
    ],
)
async def test_bad_input(
    client: httpx.AsyncClient, params: dict[str, str], status: int, needle: str
) -> None:
    r = await client.get("/ohlcv", params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert needle in r.json()["detail"]


async def test_symbol_search(client: httpx.AsyncClient) -> None:
    r = await client.get("/symbols/search", params={"q": "tencent"})
    assert r.status_code == 200
    assert r.json()[0] == {
        "symbol": "0700.HK",
        "name": "Tencent Holdings",
        "market": "hk_equity",
        "provider": "yfinance",
        "timezone": "Asia/Hong_Kong",
    }
    btc = (await client.get("/symbols/search", params={"q": "BTC"})).json()
    assert btc[0]["symbol"] == "BTC/USDT"
    assert btc[0]["provider"] == "ccxt"
    everything = {
        s["symbol"] for s in (await client.get("/symbols/search", params={"limit": 100})).json()
    }
    assert {
        "SAMPLE:AAPL",
        "SAMPLE:MSFT",
        "SAMPLE:IBM",
        "SAMPLE:GOOG",
        "DEMO:TREND",
        "DEMO:PAIR_B",
    } <= everything
    vix = (await client.get("/symbols/search", params={"q": "vix"})).json()
    assert vix[0]["symbol"] == "^VIX"
    odd = (await client.get("/symbols/search", params={"q": "kraken:eth/usd"})).json()
    assert odd[0]["symbol"] == "kraken:ETH/USD"


async def test_sample_is_real_labelled_daily_history(client: httpx.AsyncClient) -> None:
    adj = frame(await client.get("/ohlcv", params={"symbol": "SAMPLE:AAPL"}))
    raw = frame(await client.get("/ohlcv", params={"symbol": "sample:aapl", "adjust": "false"}))
    assert adj.provider == "sample"
    assert adj.market == "us_equity"
    assert adj.adjusted
    assert not raw.adjusted
    assert "offline sample" in (adj.label or "")
    assert "public-domain" in (adj.label or "")
    assert pd.Timestamp(adj.timestamps[0]) == pd.Timestamp("2000-03-01", tz="America/New_York")
    assert pd.Timestamp(adj.timestamps[-1]) == pd.Timestamp("2013-03-01", tz="America/New_York")
    assert len(adj.timestamps) == 3270
    assert raw.close[0] == 130.31  # as traded on 2000-03-01, before AAPL's later splits
    assert adj.close[0] < 10
    assert not [i for i in adj.quality.issues if i.kind == "gap" and i.count > 5]
    goog = frame(await client.get("/ohlcv", params={"symbol": "SAMPLE:GOOG", "timeframe": "1w"}))
    assert pd.Timestamp(goog.timestamps[0]).tz_convert("America/New_York").weekday() == 0
    for ticker in ("MSFT", "IBM"):
        assert frame(
            await client.get(
                "/ohlcv",
                params={"symbol": f"SAMPLE:{ticker}", "start": "2005-01-01", "end": "2005-12-31"},
            )
        ).timestamps


async def test_demo_series_are_synthetic_deterministic_and_intraday(
    client: httpx.AsyncClient,
) -> None:
    for tf, n in (
        ("1m", 1440),
        ("5m", 288),
        ("15m", 96),
        ("30m", 48),
        ("1h", 24),
        ("4h", 6),
        ("1d", 1),
    ):
        f = frame(
            await client.get(
                "/ohlcv",
                params={
                    "symbol": "DEMO:TREND",
                    "timeframe": tf,
                    "start": "2024-05-01",
                    "end": "2024-05-01",
                },
            )
        )
        assert len(f.timestamps) == n, tf
        assert "synthetic" in (f.label or "")
        assert "NOT real" in (f.label or "")
        assert f.quality.ok, f.quality
    a = frame(await client.get("/ohlcv", params={"symbol": "DEMO:PAIR_A", "timeframe": "1h"}))
    b = frame(await client.get("/ohlcv", params={"symbol": "DEMO:PAIR_B", "timeframe": "1h"}))
    again = frame(
        await client.get(
            "/ohlcv",
            params={
                "symbol": "DEMO:PAIR_A",
                "timeframe": "1h",
                "start": "2024-01-01",
                "end": "2024-12-31",
            },
        )
    )
    assert again.close == a.close  # seeded: the same every time
    la, lb = np.log(a.close), np.log(b.close)
    beta, alpha = np.polyfit(la, lb, 1)
    spread = lb - (alpha + beta * la)
    assert 0.6 < beta < 1.0
    assert spread.std() < 0.2 * lb.std()  # cointegrated: a tight, mean-reverting spread
    assert np.corrcoef(spread[:-1], spread[1:])[0, 1] < 0.999


async def test_hot_path_serves_bytes_from_redis(client: httpx.AsyncClient) -> None:
    params = {"symbol": "SAMPLE:MSFT", "start": "2003-01-01", "end": "2012-12-31"}
    a = await client.get("/ohlcv", params=params)
    b = await client.get("/ohlcv", params=params)
    assert a.content == b.content
    assert a.headers["content-type"] == "application/json"
