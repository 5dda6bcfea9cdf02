"""Offline data that works without internet, each clearly labelled.

* `SAMPLE:AAPL|MSFT|IBM|GOOG`: real daily history, 2000-03-01 to 2013-03-01 (GOOG from
  2004-08-19), from the `bokeh-sampledata` package (Quandl WIKI Prices, public domain).
  Open/high/low/close/volume are unadjusted; the source's adjusted close gives the split- and
  dividend-adjusted series.
* `DEMO:TREND|RANGE|PAIR_A|PAIR_B`: deterministic synthetic one-minute series for 2024 (seeded
  RNG), 24/7, from which every coarser timeframe is aggregated. PAIR_A and PAIR_B are
  cointegrated by construction.

Loaded once per process and kept in memory.
"""

from __future__ import annotations

import csv
import gzip
import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from vt_market_data.core.adjust import apply_adjusted_close
from vt_market_data.core.bars import F64, Bars
from vt_market_data.core.timeframes import MINUTE_NS

SAMPLE_LABEL = (
    "offline sample: real daily history of {ticker} {first} to {last} from the public-domain "
    "Quandl WIKI Prices (shipped by the bokeh-sampledata package); not live data; {adj}; volume "
    "as reported (not split-adjusted)"
)
DEMO_LABEL = (
    "synthetic demo data: {name}, deterministic seeded random series for 2024, generated at 1m "
    "and aggregated; NOT real market prices"
)


@dataclass(frozen=True)
class OfflineSeries:
    bars: Bars
    timeframe: str
    label: str


_lock = threading.Lock()
_sample_raw: dict[str, tuple[Bars, F64]] = {}
_demo: dict[str, Bars] = {}


def _load_samples() -> None:
    if _sample_raw:
        return
    path = resources.files("bokeh_sampledata").joinpath("_data", "stocks.csv.gz")
    cols: dict[str, dict[str, list[str]]] = {}
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            ticker = row[0]
            d = cols.setdefault(ticker, {k: [] for k in ("date", "o", "h", "l", "c", "v", "a")})
            for key, value in zip(("date", "o", "h", "l", "c", "v", "a"), row[1:], strict=True):
                d[key].append(value)
    for ticker, d in cols.items():
        idx = pd.DatetimeIndex(pd.to_datetime(d["date"], format="%Y-%m-%d"))
        ts = idx.tz_localize("America/New_York").tz_convert("UTC").as_unit("ns").asi8
        bars = Bars.from_arrays(
            ts,
            np.asarray(d["o"], dtype=float),
            np.asarray(d["h"], dtype=float),
            np.asarray(d["l"], dtype=float),
            np.asarray(d["c"], dtype=float),
            np.asarray(d["v"], dtype=float),
        )
        _sample_raw[ticker] = (bars, np.asarray(d["a"], dtype=float))


def sample_series(ticker: str, adjusted: bool) -> OfflineSeries:
    with _lock:
        _load_samples()
        raw, adj_close = _sample_raw[ticker]
    bars = apply_adjusted_close(raw, adj_close) if adjusted else raw
    first = pd.Timestamp(int(raw.ts[0]), tz="UTC").tz_convert("America/New_York").date()
    last = pd.Timestamp(int(raw.ts[-1]), tz="UTC").tz_convert("America/New_York").date()
    label = SAMPLE_LABEL.format(
        ticker=ticker,
        first=first,
        last=last,
        adj="prices split- and dividend-adjusted with the source's adjusted close"
        if adjusted
        else "raw prices as traded",
    )
    return OfflineSeries(bars, "1d", label)


DEMO_START = pd.Timestamp("2024-01-01", tz="UTC")
DEMO_END = pd.Timestamp("2025-01-01", tz="UTC")


def _ohlc_from_path(close: F64, rng: np.random.Generator, start_price: float) -> Bars:
    n = close.shape[0]
    open_ = np.empty(n)
    open_[0] = start_price
    open_[1:] = close[:-1]
    wick = np.abs(rng.normal(0.0, 0.0004, size=(2, n)))
    high = np.maximum(open_, close) * (1.0 + wick[0])
    low = np.minimum(open_, close) * (1.0 - wick[1])
    volume = np.round(rng.lognormal(mean=3.0, sigma=0.6, size=n), 4)
    ts = DEMO_START.value + np.arange(n, dtype=np.int64) * MINUTE_NS
    return Bars.from_arrays(ts, open_, high, low, close, volume)


def _ar1(noise: F64, phi: float) -> F64:
    return np.asarray(lfilter([1.0], [1.0, -phi], noise), dtype=np.float64)


def _generate_demo(key: str) -> Bars:
    n = int((DEMO_END - DEMO_START) / pd.Timedelta(minutes=1))
    seeds = {"TREND": 1001, "RANGE": 1002, "PAIR_A": 1003, "PAIR_B": 1003}
    rng = np.random.default_rng(seeds[key])
    if key == "TREND":
        steps = rng.normal(0.9 / n, 0.0007, size=n)  # ~ +90% log drift over the year
        close = 100.0 * np.exp(np.cumsum(steps))
        return _ohlc_from_path(close, rng, 100.0)
    if key == "RANGE":
        x = _ar1(rng.normal(0.0, 0.0007, size=n), 0.9995)  # mean-reverting around 100
        close = 100.0 * np.exp(x)
        return _ohlc_from_path(close, rng, 100.0)
    # the pair shares one seed: A is a random walk; log B = 0.2 + 0.8 log A + stationary spread
    log_a = np.log(50.0) + np.cumsum(rng.normal(0.0, 0.0006, size=n))
    spread = _ar1(rng.normal(0.0, 0.0004, size=n), 0.999)
    if key == "PAIR_A":
        return _ohlc_from_path(np.exp(log_a), rng, 50.0)
    close_b = np.exp(0.2 + 0.8 * log_a + spread)
    rng_b = np.random.default_rng(2003)
    return _ohlc_from_path(close_b, rng_b, float(close_b[0]))


def demo_series(key: str) -> OfflineSeries:
    with _lock:
        bars = _demo.get(key)
        if bars is None:
            bars = _generate_demo(key)
            _demo[key] = bars
    from vt_market_data.symbols.registry import DEMO_NAMES

    return OfflineSeries(bars, "1m", DEMO_LABEL.format(name=DEMO_NAMES[key]))
