"""Calendars and annualisation."""

from __future__ import annotations

import pytest
from engine_helpers import ohlcv, sma_cross_spec

from vt_engine import run_backtest
from vt_engine.timing import bars_per_session, periods_per_year, session_minutes


def test_session_lengths_from_exchange_calendars() -> None:
    assert session_minutes("XNYS") == 390
    assert session_minutes("XHKG") == 330  # lunch break excluded


@pytest.mark.parametrize(
    ("market", "tf", "expected"),
    [
        ("us_equity", "1d", 252),
        ("hk_equity", "1d", 252),
        ("crypto", "1d", 365),
        ("us_equity", "1w", 52),
        ("crypto", "1w", 52),
        ("us_equity", "1m", 252 * 390),
        ("us_equity", "5m", 252 * 78),
        ("us_equity", "1h", 252 * 7),  # 6.5 hours -> 7 bars (the last one partial)
        ("hk_equity", "15m", 252 * 22),
        ("crypto", "1h", 365 * 24),
        ("crypto", "1m", 365 * 1440),
        ("crypto", "4h", 365 * 6),
    ],
)
def test_periods_per_year(market: str, tf: str, expected: float) -> None:
    assert periods_per_year(market, tf) == expected


def test_bars_per_session() -> None:
    assert bars_per_session("us_equity", "30m") == 13
    assert bars_per_session("crypto", "15m") == 96


def test_result_reports_annualisation() -> None:
    df = ohlcv(300)
    eq = run_backtest(sma_cross_spec(5, 20), {"AAA": df})
    assert eq.summary_stats.periods_per_year == 252
    cr = run_backtest(
        sma_cross_spec(5, 20, universe={"symbols": ["AAA"], "market": "crypto"}),
        {"AAA": ohlcv(300, freq="D")},
    )
    assert cr.summary_stats.periods_per_year == 365
    intraday = ohlcv(2000, freq="min", start="2024-03-04 14:30")
    r = run_backtest(
        sma_cross_spec(5, 20, universe={"symbols": ["AAA"], "timeframe": "1m"}), {"AAA": intraday}
    )
    assert r.summary_stats.periods_per_year == 252 * 390
    assert "98280" in r.provenance.conventions["annualisation"]
