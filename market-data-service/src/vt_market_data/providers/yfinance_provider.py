"""Yahoo Finance through yfinance (US and Hong Kong equities, ETFs, indices).

yfinance is synchronous and keeps one process-wide session; calls run in a worker thread.
`VT_YFINANCE_BASE_URL` points every Yahoo host at a mirror or test stub (the request path and
query stay as yfinance builds them)."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import requests
import yfinance as yf
from yfinance.data import YfData
from yfinance.exceptions import (
    YFPricesMissingError,
    YFRateLimitError,
    YFTzMissingError,
)

from vt_market_data.core.adjust import apply_adjusted_close, unadjust_splits
from vt_market_data.core.bars import Bars
from vt_market_data.core.quality import drop_incomplete
from vt_market_data.core.timeframes import DAY_NS
from vt_market_data.providers.base import (
    FetchResult,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderSymbolNotFound,
    ProviderTimeout,
    ProviderUnreachable,
)
from vt_market_data.symbols.registry import SymbolInfo

log = logging.getLogger(__name__)

NAME = "yfinance"
INTERVALS = {"1m": "1m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "1h", "1d": "1d"}
# Yahoo serves at most 8 days of 1m bars per request
CHUNK_NS = {"1m": 7 * DAY_NS}

_config_lock = threading.Lock()
_configured: set[str] = set()


class RewritingSession(requests.Session):
    """A requests session that sends every request to `base_url` instead of Yahoo's hosts."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        parts = urlsplit(url if isinstance(url, str) else url.decode())
        headers = dict(kwargs.pop("headers", None) or {})
        headers["X-Original-Host"] = parts.netloc
        target = urlunsplit(
            (
                self.base.scheme,
                self.base.netloc,
                self.base.path + (parts.path or "/"),
                parts.query,
                "",
            )
        )
        kwargs["headers"] = headers
        return super().request(method, target, *args, **kwargs)


def configure(data_dir: Path) -> None:
    """Process-wide yfinance settings: raise errors, no own retries, caches under `data_dir`."""
    key = str(data_dir)
    with _config_lock:
        if key in _configured:
            return
        cache_dir = data_dir / "yfinance-cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(str(cache_dir))
        yf.config.debug.hide_exceptions = False
        yf.config.network.retries = 0
        _configured.add(key)


def _classify(exc: BaseException) -> ProviderError:
    name = type(exc).__name__
    text = str(exc) or name
    if isinstance(exc, YFRateLimitError):
        return ProviderRateLimited(NAME, "Yahoo Finance is rate-limiting requests; retry later.")
    if isinstance(exc, YFTzMissingError):
        return ProviderSymbolNotFound(
            NAME, "Yahoo Finance does not know this symbol (no data, maybe delisted or misspelt)."
        )
    if "Timeout" in name or "timed out" in text.lower():
        return ProviderTimeout(NAME, f"Yahoo Finance did not answer in time: {text}")
    if any(k in name for k in ("Connection", "DNS", "Proxy", "SSL")) or "Failed to perform" in text:
        return ProviderUnreachable(NAME, f"could not reach Yahoo Finance: {text}.")
    return ProviderBadResponse(NAME, f"Yahoo Finance sent an unusable answer: {name}: {text}")


class YFinanceProvider:
    name = NAME

    def __init__(self, data_dir: Path, base_url: str | None, timeout_s: float) -> None:
        configure(data_dir)
        self.timeout_s = timeout_s
        self.session: requests.Session | None = RewritingSession(base_url) if base_url else None
        self._lock = threading.Lock()

    def native_timeframe(self, info: SymbolInfo, timeframe: str) -> str:
        return {"4h": "1h", "1w": "1d"}.get(timeframe, timeframe)

    def _history(self, symbol: str, interval: str, start_ns: int, end_ns: int) -> pd.DataFrame:
        ticker = yf.Ticker(symbol, session=self.session) if self.session else yf.Ticker(symbol)
        try:
            df: pd.DataFrame = ticker.history(
                start=pd.Timestamp(start_ns, tz="UTC"),
                end=pd.Timestamp(end_ns, tz="UTC"),
                interval=interval,
                auto_adjust=False,
                actions=True,
                prepost=False,
                repair=False,
                timeout=self.timeout_s,
            )
        finally:
            YfData.cache_get.cache_clear()  # never let yfinance's own memo hide an upstream call
        return df

    def _fetch_sync(
        self, info: SymbolInfo, timeframe: str, start_ns: int, end_ns: int, adjusted: bool
    ) -> FetchResult:
        interval = INTERVALS[timeframe]
        # raw prices need every split after the range, so raw requests read on to today
        upper = end_ns if adjusted else max(end_ns, pd.Timestamp.now(tz="UTC").value)
        chunk = CHUNK_NS.get(timeframe, upper - start_ns)
        frames: list[pd.DataFrame] = []
        cursor = start_ns
        while cursor < upper:
            stop = min(upper, cursor + chunk)
            try:
                df = self._history(info.native, interval, cursor, stop)
            except YFPricesMissingError as exc:
                reason = exc.yahoo_reason
                if reason:
                    if "not found" in reason.lower() or "delisted" in reason.lower():
                        raise ProviderSymbolNotFound(NAME, f"Yahoo Finance: {reason}") from exc
                    raise ProviderRejected(
                        NAME, f"Yahoo Finance refused the request: {reason}"
                    ) from exc
                df = pd.DataFrame()
            except ProviderError:
                raise
            except Exception as exc:
                raise _classify(exc) from exc
            if len(df):
                frames.append(df)
            cursor = stop
        if not frames:
            return FetchResult(Bars.empty())
        df = pd.concat(frames)
        df = df[~df.index.duplicated(keep="last")].sort_index()
        ts = pd.DatetimeIndex(df.index).tz_convert("UTC").as_unit("ns").asi8
        bars = Bars.from_arrays(ts, df["Open"], df["High"], df["Low"], df["Close"], df["Volume"])
        if adjusted:
            bars = apply_adjusted_close(bars, df["Adj Close"].to_numpy(dtype=np.float64))
        elif "Stock Splits" in df.columns:
            s = df["Stock Splits"].to_numpy(dtype=np.float64)
            has = np.isfinite(s) & (s > 0) & (s != 1.0)
            bars = unadjust_splits(bars, ts[has], s[has])
        bars, issue = drop_incomplete(bars.between(start_ns, end_ns))
        return FetchResult(bars, [issue] if issue else [])

    def _actions_sync(self, info: SymbolInfo, start_ns: int, end_ns: int) -> list[int]:
        try:
            df = self._history(info.native, "1d", start_ns, end_ns)
        except YFPricesMissingError:
            return []
        except Exception as exc:
            raise _classify(exc) from exc
        if not len(df):
            return []
        ts = pd.DatetimeIndex(df.index).tz_convert("UTC").as_unit("ns").asi8
        has = np.zeros(len(df), dtype=bool)
        for col in ("Dividends", "Stock Splits"):
            if col in df.columns:
                v = df[col].to_numpy(dtype=np.float64)
                has |= np.isfinite(v) & (v != 0)
        return [int(t) for t in ts[has]]

    async def actions(self, info: SymbolInfo, start_ns: int, end_ns: int) -> list[int]:
        """Timestamps of the splits and dividends with start <= ts < end."""
        return await asyncio.to_thread(self._actions_sync, info, start_ns, end_ns)

    async def fetch(
        self, info: SymbolInfo, timeframe: str, start_ns: int, end_ns: int, adjusted: bool
    ) -> FetchResult:
        return await asyncio.to_thread(
            self._fetch_sync, info, timeframe, start_ns, end_ns, adjusted
        )
