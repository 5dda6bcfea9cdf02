"""`/insight` and `/insight/history` end to end: the app against real PostgreSQL and Redis, the
stub market-data server over HTTP, the stub RSS feed and the real lexicon model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from vt_contracts import Insight
from vt_research.app import create_app

FIELDS = {
    "trend_state",
    "volatility_regime",
    "momentum_pct",
    "drawdown_pct",
    "correlation_to_benchmark",
    "top_assets",
    "risk_flag",
    "recommended_strategy_types",
    "sentiment_score",
    "data",
}


async def test_symbol_insight_from_offline_sample(app_client: httpx.AsyncClient) -> None:
    r = await app_client.get("/insight", params={"symbol": "SAMPLE:AAPL"})
    assert r.status_code == 200, r.text
    insight = Insight.model_validate(r.json())
    assert set(insight.derivations) == FIELDS
    assert insight.derivations["data"].inputs["last_bar"] == "2013-12-31T00:00:00+00:00"
    # price data ends in 2013: stated as a risk, VIX (recent bars only) refused with a reason
    assert any("price data ends 2013-12-31" in r for r in insight.risk_reasons)
    assert insight.risk_flag
    assert "days away" in str(insight.derivations["volatility_regime"].inputs["vix_unavailable"])
    # sentiment from the stub RSS feed: two Apple headlines, both bullish
    assert insight.sentiment_score is not None
    assert insight.sentiment_score > 0.3
    assert insight.derivations["sentiment_score"].inputs["headlines_scored"] == 2.0
    # universe ranking and the equal-weight benchmark of the other three samples
    assert {a.symbol for a in insight.top_assets} == {
        "SAMPLE:AAPL",
        "SAMPLE:MSFT",
        "SAMPLE:IBM",
        "SAMPLE:GOOG",
    }
    moms = [a.momentum_pct for a in insight.top_assets]
    assert moms == sorted(moms, reverse=True)
    assert insight.benchmark == "universe equal-weight (SAMPLE:GOOG,SAMPLE:IBM,SAMPLE:MSFT)"
    assert insight.correlation_to_benchmark is not None
    # shared factor: corr = 0.008^2 / sqrt((0.008^2 + 0.012^2) * (0.008^2 + 0.012^2 / 3)) = 0.42
    assert 0.2 < insight.correlation_to_benchmark < 0.7


async def test_trend_and_crash_regimes(app_client: httpx.AsyncClient) -> None:
    trend = Insight.model_validate(
        (await app_client.get("/insight", params={"symbol": "DEMO:TREND"})).json()
    )
    assert trend.trend_state == "strong_uptrend"
    assert trend.derivations["volatility_regime"].inputs["vix"] == 18.0
    assert trend.recommended_strategy_types[:2] == ["trend_following", "momentum"]
    assert trend.drawdown_pct is not None
    assert trend.drawdown_pct > -10
    crash = Insight.model_validate(
        (await app_client.get("/insight", params={"symbol": "DEMO:CRASH"})).json()
    )
    assert crash.volatility_regime == "extreme"
    assert crash.drawdown_pct is not None
    assert crash.drawdown_pct <= -20
    assert crash.recommended_strategy_types == ["stay_flat", "volatility_filtered"]
    assert crash.risk_flag
    assert any(r.startswith("volatility regime extreme") for r in crash.risk_reasons)


async def test_market_insight_aggregates_the_universe(app_client: httpx.AsyncClient) -> None:
    r = await app_client.get("/insight", params={"symbol": "market:us"})
    assert r.status_code == 200, r.text
    insight = Insight.model_validate(r.json())
    data = insight.derivations["data"].inputs
    assert data["members"] == "SAMPLE:AAPL,SAMPLE:GOOG,SAMPLE:IBM,SAMPLE:MSFT"
    assert data["breadth_above_sma50_pct"] is not None
    assert len(insight.top_assets) == 4
    assert insight.correlation_to_benchmark is None
    assert insight.derivations["sentiment_score"].inputs["headlines_scored"] == 5.0
    history = (await app_client.get("/insight/history", params={"scope": "market"})).json()
    assert [i["symbol"] for i in history["items"]] == ["market:us"]


async def test_historical_as_of(app_client: httpx.AsyncClient) -> None:
    r = await app_client.get("/insight", params={"symbol": "SAMPLE:MSFT", "as_of": "2013-06-28"})
    assert r.status_code == 200, r.text
    insight = Insight.model_validate(r.json())
    assert insight.as_of == datetime(2013, 6, 28, tzinfo=UTC)
    assert insight.derivations["data"].inputs["last_bar"] == "2013-06-28T00:00:00+00:00"
    # the feed's Microsoft headline is dated 2026: after as_of, so it must not be used
    assert insight.sentiment_score is None
    assert "no recent headlines mention MSFT" in (insight.sentiment_reason or "")


async def test_risk_flag_uses_events_as_of_the_data_date(
    database_url: str,
    redis_url: str,
    clean_db: None,
    rs_redis: Any,
    make_settings: Any,
    tmp_path: Path,
) -> None:
    """Price data ending in 2013 is judged against the 2013 calendar, not this week's events,
    and the derivation names the calendar file without the server's path."""
    today = datetime.now(UTC).date()
    cal = tmp_path / "calendar.csv"
    cal.write_text(
        "date,kind,title,symbol\n"
        "2013-12-30,FOMC,Fed decision in the data's week,\n"
        f"{today.isoformat()},CPI,CPI release this week,\n"
    )
    r = await _call_with(make_settings(VT_ECON_CALENDAR=cal, VT_EVENT_WINDOW_DAYS=2), "SAMPLE:AAPL")
    assert r.status_code == 200, r.text
    insight = Insight.model_validate(r.json())
    reasons = " | ".join(insight.risk_reasons)
    assert "FOMC 2013-12-30 (1 day(s) ago)" in reasons
    assert "CPI" not in reasons
    risk = insight.derivations["risk_flag"].inputs
    assert risk["events_as_of"] == "2013-12-31"
    assert risk["events_found"] == 1.0
    assert risk["calendar"] == "calendar.csv"
    assert str(tmp_path) not in r.text
    assert "last price bar" in insight.derivations["risk_flag"].formula


async def test_missing_calendar_note_names_no_server_path(
    database_url: str,
    redis_url: str,
    clean_db: None,
    rs_redis: Any,
    make_settings: Any,
    tmp_path: Path,
) -> None:
    r = await _call_with(make_settings(VT_ECON_CALENDAR=tmp_path / "gone.yaml"), "SAMPLE:MSFT")
    assert r.status_code == 200, r.text
    notes = str(Insight.model_validate(r.json()).derivations["risk_flag"].inputs["notes"])
    assert "gone.yaml does not exist" in notes
    assert str(tmp_path) not in r.text
    assert "VT_ECON_CALENDAR" not in r.text


async def test_fresh_insight_is_reused_and_journaled_once(
    app_client: httpx.AsyncClient, stub_state: dict[str, Any]
) -> None:
    first = await app_client.get("/insight", params={"symbol": "DEMO:TREND"})
    calls = len(stub_state["calls"])
    second = await app_client.get("/insight", params={"symbol": "DEMO:TREND"})
    assert second.json() == first.json()
    assert len(stub_state["calls"]) == calls  # served from the journal, market-data not asked
    page = (await app_client.get("/insight/history", params={"symbol": "DEMO:TREND"})).json()
    assert len(page["items"]) == 1
    await app_client.get("/insight", params={"symbol": "DEMO:TREND", "refresh": "true"})
    page = (await app_client.get("/insight/history", params={"symbol": "DEMO:TREND"})).json()
    assert len(page["items"]) == 2


async def test_history_cursor_pagination(app_client: httpx.AsyncClient) -> None:
    for day in ("2013-06-26", "2013-06-27", "2013-06-28"):
        r = await app_client.get("/insight", params={"symbol": "SAMPLE:IBM", "as_of": day})
        assert r.status_code == 200
    page1 = (
        await app_client.get(
            "/insight/history", params={"symbol": "SAMPLE:IBM", "limit": 2, "sort": "-as_of"}
        )
    ).json()
    assert [i["as_of"][:10] for i in page1["items"]] == ["2013-06-28", "2013-06-27"]
    assert page1["next_cursor"]
    page2 = (
        await app_client.get(
            "/insight/history",
            params={
                "symbol": "SAMPLE:IBM",
                "limit": 2,
                "sort": "-as_of",
                "cursor": page1["next_cursor"],
            },
        )
    ).json()
    assert [i["as_of"][:10] for i in page2["items"]] == ["2013-06-26"]
    assert page2["next_cursor"] is None
    asc = (
        await app_client.get("/insight/history", params={"symbol": "SAMPLE:IBM", "sort": "as_of"})
    ).json()
    assert [i["as_of"][:10] for i in asc["items"]] == ["2013-06-26", "2013-06-27", "2013-06-28"]


async def test_unknown_symbol_is_a_404_problem_from_market_data(
    app_client: httpx.AsyncClient,
) -> None:
    r = await app_client.get("/insight", params={"symbol": "NOPE:XYZ"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/unknown-symbol")
    assert "market-data does not know the symbol 'NOPE:XYZ'" in body["detail"]
    m = await app_client.get("/insight", params={"symbol": "market:mars"})
    assert m.status_code == 404
    assert "unknown market 'mars'" in m.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/insight", {"symbol": "bad symbol!"}, "symbol"),
        ("/insight", {}, "symbol"),
        ("/insight", {"symbol": "SAMPLE:AAPL", "as_of": "yesterday-ish"}, "as_of"),
        ("/insight/history", {"limit": 0}, "limit"),
        ("/insight/history", {"sort": "name"}, "sort"),
        ("/insight/history", {"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_params_are_422_problems(
    app_client: httpx.AsyncClient, path: str, params: dict[str, Any], needle: str
) -> None:
    r = await app_client.get(path, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert needle in r.json()["detail"]


async def test_future_as_of_is_rejected(app_client: httpx.AsyncClient) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    r = await app_client.get("/insight", params={"symbol": "SAMPLE:AAPL", "as_of": future})
    assert r.status_code == 422
    assert "in the future" in r.json()["detail"]


async def test_internal_token_is_required(app_client: httpx.AsyncClient) -> None:
    r = await app_client.get(
        "/insight", params={"symbol": "SAMPLE:AAPL"}, headers={"X-Internal-Token": "wrong"}
    )
    assert r.status_code == 401


async def test_market_data_failure_is_a_502_naming_market_data(
    app_client: httpx.AsyncClient, stub_state: dict[str, Any]
) -> None:
    stub_state["fail"] = True
    r = await app_client.get("/insight", params={"symbol": "SAMPLE:GOOG"})
    assert r.status_code == 502
    body = r.json()
    assert body["service"] == "market-data"
    assert "yfinance down" in body["detail"]


async def _call_with(settings: Any, symbol: str) -> httpx.Response:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers={"X-Internal-Token": "test-internal-token"},
        ) as client:
            return await client.get("/insight", params={"symbol": symbol})


async def test_market_data_down_is_503(
    database_url: str, redis_url: str, clean_db: None, make_settings: Any
) -> None:
    r = await _call_with(make_settings(MARKET_DATA_URL="http://127.0.0.1:9"), "SAMPLE:AAPL")
    assert r.status_code == 503
    assert r.json()["service"] == "market-data"
    assert "unreachable" in r.json()["detail"]


async def test_market_data_timeout_is_504(
    database_url: str,
    redis_url: str,
    clean_db: None,
    make_settings: Any,
    stub_state: dict[str, Any],
) -> None:
    stub_state["delay"] = 1.5
    r = await _call_with(make_settings(VT_RESEARCH_MARKET_DATA_TIMEOUT=0.5), "SAMPLE:AAPL")
    assert r.status_code == 504
    assert r.json()["service"] == "market-data"
