"""Adjusted vs raw prices: absolute price levels on adjusted data are flagged (issue 17 item 2)."""

from __future__ import annotations

from engine_helpers import ohlcv, price_entry_spec, sma_cross_spec

from vt_engine import run_backtest
from vt_engine.data import absolute_price_levels


def test_absolute_price_level_on_adjusted_equity_warns() -> None:
    spec = price_entry_spec(100.0)
    assert absolute_price_levels(spec) == ["entry compares with the fixed level 100"]
    result = run_backtest(spec, {"AAA": ohlcv(300)})
    assert any("fixed level 100" in w and "adjust" in w for w in result.warnings)


def test_raw_prices_or_crypto_or_relative_conditions_do_not_warn() -> None:
    data = {"AAA": ohlcv(300)}
    raw = price_entry_spec(100.0, universe={"symbols": ["AAA"], "adjust": "raw"})
    assert not [w for w in run_backtest(raw, data).warnings if "adjust" in w]
    crypto = price_entry_spec(100.0, universe={"symbols": ["AAA"], "market": "crypto"})
    assert not [w for w in run_backtest(crypto, data).warnings if "adjust" in w]
    assert absolute_price_levels(sma_cross_spec()) == []
    assert not [w for w in run_backtest(sma_cross_spec(), data).warnings if "adjust" in w]


def test_fixed_commission_on_adjusted_prices_warns() -> None:
    spec = sma_cross_spec(costs={"commission_fixed": 1.0})
    assert any("fixed commission" in w for w in run_backtest(spec, {"AAA": ohlcv(300)}).warnings)
