"""Crypto OHLCV from any ccxt exchange (Binance by default), spot markets only.

`VT_CCXT_API_BASE_URL` replaces the scheme and host of every `urls['api']` entry, so the real
ccxt request building and parsing runs against a mirror or a test stub."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt_async
from ccxt.base import errors as cx

from vt_market_data.core.bars import Bars
from vt_market_data.core.quality import drop_incomplete
from vt_market_data.core.timeframes import TF_NS
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

NAME = "ccxt"
_HTTP_STATUS = re.compile(r"\b(GET|POST|PUT|DELETE) \S+ [45]\d\d\b")
PAGE = 1000


def _rewrite(urls: Any, base: str) -> Any:
    if isinstance(urls, dict):
        return {k: _rewrite(v, base) for k, v in urls.items()}
    if isinstance(urls, str) and urls.startswith("http"):
        parts = urlsplit(urls)
        return base.rstrip("/") + parts.path
    return urls


def _classify(exchange: str, exc: BaseException) -> ProviderError:
    text = f"{exchange}: {type(exc).__name__}: {exc}"
    if isinstance(exc, cx.BadSymbol):
        return ProviderSymbolNotFound(NAME, f"{exchange} does not list this market ({exc}).")
    if isinstance(exc, cx.RequestTimeout):
        return ProviderTimeout(NAME, f"{exchange} did not answer in time ({text}).")
    if isinstance(exc, cx.DDoSProtection | cx.RateLimitExceeded):
        return ProviderRateLimited(NAME, f"{exchange} is rate-limiting requests ({text}).")
    if isinstance(exc, cx.ExchangeNotAvailable) and _HTTP_STATUS.search(str(exc)):
        return ProviderBadResponse(NAME, f"{exchange} answered with an error: {text}")
    if isinstance(exc, cx.ExchangeNotAvailable | cx.NetworkError | OSError):
        return ProviderUnreachable(NAME, f"could not reach {exchange}: {text}.")
    if isinstance(exc, cx.BadRequest | cx.NotSupported):
        return ProviderRejected(NAME, f"{exchange} refused the request: {text}")
    return ProviderBadResponse(NAME, f"{exchange} failed: {text}")


class CcxtProvider:
    name = NAME

    def __init__(self, api_base_url: str | None, timeout_s: float) -> None:
        self.api_base_url = api_base_url
        self.timeout_ms = int(timeout_s * 1000)
        self._exchanges: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    def native_timeframe(self, info: SymbolInfo, timeframe: str) -> str:
        return "1d" if timeframe == "1w" else timeframe

    async def _exchange(self, exchange_id: str) -> Any:
        async with self._lock:
            ex = self._exchanges.get(exchange_id)
            if ex is not None:
                return ex
            cls = getattr(ccxt_async, exchange_id, None)
            if exchange_id not in ccxt_async.exchanges or cls is None:
                raise ProviderSymbolNotFound(
                    NAME,
                    f"'{exchange_id}' is not a ccxt exchange; use e.g. binance, kraken, coinbase.",
                )
            ex = cls(
                {
                    "enableRateLimit": True,
                    "timeout": self.timeout_ms,
                    "options": {
                        "defaultType": "spot",
                        "fetchMarkets": {"types": ["spot"]},
                        "fetchCurrencies": False,
                    },
                }
            )
            if self.api_base_url:
                ex.urls["api"] = _rewrite(ex.urls["api"], self.api_base_url)
            self._exchanges[exchange_id] = ex
            return ex

    async def close(self) -> None:
        for ex in self._exchanges.values():
            await ex.close()
        self._exchanges.clear()

    async def fetch(
        self, info: SymbolInfo, timeframe: str, start_ns: int, end_ns: int, adjusted: bool
    ) -> FetchResult:
        exchange_id = info.exchange or "binance"
        ex = await self._exchange(exchange_id)
        try:
            markets = await ex.load_markets()
            if info.native not in markets:
                raise ProviderSymbolNotFound(
                    NAME, f"{exchange_id} does not list the spot market {info.native}."
                )
            step_ms = TF_NS[timeframe] // 1_000_000
            since = start_ns // 1_000_000
            end_ms = end_ns // 1_000_000
            rows: list[list[float]] = []
            while since < end_ms:
                batch = await ex.fetch_ohlcv(
                    info.native, timeframe, since=since, limit=PAGE, params={"until": end_ms - 1}
                )
                batch = [r for r in batch if since <= r[0] < end_ms]
                if not batch:
                    break
                rows.extend(batch)
                since = int(batch[-1][0]) + step_ms
                if len(batch) < PAGE and since + step_ms * PAGE >= end_ms:
                    break
        except ProviderError:
            raise
        except Exception as exc:
            raise _classify(exchange_id, exc) from exc
        if not rows:
            return FetchResult(Bars.empty())
        cols = list(zip(*rows, strict=True))
        bars = Bars.from_arrays(
            [int(t) * 1_000_000 for t in cols[0]],
            [float("nan") if v is None else v for v in cols[1]],
            [float("nan") if v is None else v for v in cols[2]],
            [float("nan") if v is None else v for v in cols[3]],
            [float("nan") if v is None else v for v in cols[4]],
            [float("nan") if v is None else v for v in cols[5]],
        ).sorted()
        bars, issue = drop_incomplete(bars)
        return FetchResult(bars, [issue] if issue else [])
