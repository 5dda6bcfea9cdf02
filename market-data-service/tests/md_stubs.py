"""Local stub servers speaking the providers' wire formats (Yahoo chart API, Binance REST,
polygon.io aggregates). They record every request so tests can assert on what was asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from vt_fakes.exchange import binance as binance_wire
from vt_fakes.exchange.engine import DEFAULT_MARKETS


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[Seen], tuple[int, dict[str, str], bytes]]


@dataclass
class StubServer:
    handler: Handler
    seen: list[Seen] = field(default_factory=list)
    mode: str = "ok"  # ok | error500 | garbage | slow
    server: ThreadingHTTPServer | None = None
    data: dict[str, Any] = field(
        default_factory=dict
    )  # what the handler serves, if tests change it

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StubServer:
        stub = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(
                    "GET",
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                )
                stub.seen.append(seen)
                if stub.mode == "slow":
                    time.sleep(1.5)
                if stub.mode == "error500":
                    status, headers, body = (
                        500,
                        {"Content-Type": "application/json"},
                        b'{"error": "internal"}',
                    )
                else:
                    status, headers, body = stub.handler(seen)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def reset(self) -> None:
        self.seen.clear()
        self.mode = "ok"

    def calls(self, prefix: str) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(prefix)]


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


# ---------------------------------------------------------------- Yahoo Finance (chart API v8)


@dataclass
class YahooSeries:
    """Daily bars as Yahoo serves them: timestamps at the session open, split-adjusted OHLC,
    `adjclose` also dividend-adjusted, events for splits and dividends."""

    symbol: str
    tz: str
    gmtoffset: int
    exchange: str
    currency: str
    days: pd.DatetimeIndex  # session dates
    open_time: str  # local session open "09:30"
    close: np.ndarray
    splits: dict[str, tuple[int, int]]  # date -> (numerator, denominator)
    dividends: dict[str, float]

    def ts(self) -> np.ndarray:
        local = pd.DatetimeIndex([pd.Timestamp(f"{d.date()} {self.open_time}") for d in self.days])
        return np.asarray(
            local.tz_localize(self.tz).tz_convert("UTC").as_unit("ns").asi8 // 1_000_000_000
        )

    def adjclose(self) -> np.ndarray:
        # dividend adjustment: each dividend scales earlier closes by (1 - div / prev close)
        factor = np.ones(len(self.days))
        for day, amount in self.dividends.items():
            i = int(self.days.get_loc(pd.Timestamp(day)))
            factor[:i] *= 1.0 - amount / self.close[i - 1]
        return np.round(self.close * factor, 6)


def add_split(series: YahooSeries, day: str, num: int, den: int) -> None:
    """A split on `day`: Yahoo's split-adjusted closes before it are divided by num/den."""
    i = int(series.days.get_loc(pd.Timestamp(day)))
    series.close = series.close.copy()
    series.close[:i] = np.round(series.close[:i] * den / num, 4)
    series.splits = {**series.splits, day: (num, den)}


def make_yahoo_series(
    symbol: str = "AAPL", hk: bool = False, drop: tuple[str, ...] = ()
) -> YahooSeries:
    days = pd.bdate_range("2020-01-02", "2020-03-31")
    if drop:
        days = days.drop(pd.DatetimeIndex(list(drop)))
    if hk:
        days = days.drop(pd.DatetimeIndex(["2020-01-27", "2020-01-28"]))  # Lunar New Year
    else:
        days = days.drop(pd.DatetimeIndex(["2020-01-20", "2020-02-17"]))  # MLK day, Presidents' day
    rng = np.random.default_rng(7)
    close = np.round(300 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))), 4)
    return YahooSeries(
        symbol=symbol,
        tz="Asia/Hong_Kong" if hk else "America/New_York",
        gmtoffset=28800 if hk else -18000,
        exchange="HKG" if hk else "NMS",
        currency="HKD" if hk else "USD",
        days=days,
        open_time="09:30",
        close=close,
        splits={} if hk else {"2020-02-03": (4, 1)},
        dividends={} if hk else {"2020-02-07": 0.77},
    )


def chart_payload(
    series: YahooSeries, period1: int | None, period2: int | None, rng: str | None
) -> dict[str, Any]:
    ts = series.ts()
    close = series.close
    openp = np.round(close * 0.995, 4)
    high = np.round(close * 1.01, 4)
    low = np.round(close * 0.985, 4)
    vol = (1_000_000 + np.arange(len(ts)) * 1000).astype(int)
    adj = series.adjclose()
    if rng == "1d":
        sel = np.arange(len(ts))[-1:]
    else:
        lo = period1 if period1 is not None else 0
        hi = period2 if period2 is not None else 2**40
        sel = np.flatnonzero((ts >= lo) & (ts < hi))
    events: dict[str, Any] = {}
    split_items = {}
    for day, (num, den) in series.splits.items():
        t = int(series.ts()[series.days.get_loc(pd.Timestamp(day))])
        if sel.size and ts[sel[0]] <= t <= ts[sel[-1]]:
            split_items[str(t)] = {
                "date": t,
                "numerator": num,
                "denominator": den,
                "splitRatio": f"{num}:{den}",
            }
    div_items = {}
    for day, amount in series.dividends.items():
        t = int(series.ts()[series.days.get_loc(pd.Timestamp(day))])
        if sel.size and ts[sel[0]] <= t <= ts[sel[-1]]:
            div_items[str(t)] = {"amount": amount, "date": t}
    if split_items:
        events["splits"] = split_items
    if div_items:
        events["dividends"] = div_items
    last = int(ts[-1])
    meta = {
        "currency": series.currency,
        "symbol": series.symbol,
        "exchangeName": series.exchange,
        "fullExchangeName": series.exchange,
        "instrumentType": "EQUITY",
        "firstTradeDate": int(ts[0]),
        "regularMarketTime": last + 23400,
        "hasPrePostMarketData": True,
        "gmtoffset": series.gmtoffset,
        "timezone": "EST" if series.gmtoffset < 0 else "HKT",
        "exchangeTimezoneName": series.tz,
        "regularMarketPrice": float(close[-1]),
        "chartPreviousClose": float(close[0]),
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": {
                "timezone": "EST",
                "start": last - 19800,
                "end": last,
                "gmtoffset": series.gmtoffset,
            },
            "regular": {
                "timezone": "EST",
                "start": last,
                "end": last + 23400,
                "gmtoffset": series.gmtoffset,
            },
            "post": {
                "timezone": "EST",
                "start": last + 23400,
                "end": last + 37800,
                "gmtoffset": series.gmtoffset,
            },
        },
        "dataGranularity": "1d",
        "range": rng or "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    result: dict[str, Any] = {
        "meta": meta,
        "timestamp": [int(t) for t in ts[sel]],
        "indicators": {
            "quote": [
                {
                    "open": [float(x) for x in openp[sel]],
                    "high": [float(x) for x in high[sel]],
                    "low": [float(x) for x in low[sel]],
                    "close": [float(x) for x in close[sel]],
                    "volume": [int(x) for x in vol[sel]],
                }
            ],
            "adjclose": [{"adjclose": [float(x) for x in adj[sel]]}],
        },
    }
    if events:
        result["events"] = events
    if not sel.size:
        result.pop("timestamp")
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    return {"chart": {"result": [result], "error": None}}


STEP_S = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "60m": 3600}


def intraday_payload(
    series: YahooSeries, period1: int, period2: int, interval: str
) -> dict[str, Any]:
    """Intraday bars 09:30-16:00 local with `tradingPeriods`, as Yahoo sends them (no adjclose)."""
    step = STEP_S[interval]
    stamps: list[int] = []
    periods: list[list[dict[str, Any]]] = []
    for day in series.days:
        open_ = int(pd.Timestamp(f"{day.date()} 09:30", tz=series.tz).timestamp())
        close = int(pd.Timestamp(f"{day.date()} 16:00", tz=series.tz).timestamp())
        if close <= period1 or open_ >= period2:
            continue
        periods.append(
            [{"timezone": "EST", "start": open_, "end": close, "gmtoffset": series.gmtoffset}]
        )
        stamps.extend(t for t in range(open_, close, step) if period1 <= t < period2)
    n = len(stamps)
    base = 300.0 + np.arange(n) * 0.01
    payload = chart_payload(series, None, None, "1d")
    meta = payload["chart"]["result"][0]["meta"]
    meta.update({"dataGranularity": interval, "range": "", "tradingPeriods": periods})
    result = {
        "meta": meta,
        "timestamp": stamps,
        "indicators": {
            "quote": [
                {
                    "open": [float(x) for x in base],
                    "high": [float(x + 0.5) for x in base],
                    "low": [float(x - 0.5) for x in base],
                    "close": [float(x + 0.1) for x in base],
                    "volume": [1000 + i for i in range(n)],
                }
            ]
        },
    }
    return {"chart": {"result": [result], "error": None}}


def yahoo_handler(series: dict[str, YahooSeries]) -> Handler:
    def handle(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.path == "/" or seen.path == "":
            return (
                200,
                {"Set-Cookie": "A3=d=stub; Path=/; Domain=127.0.0.1", "Content-Type": "text/html"},
                b"<html></html>",
            )
        if seen.path == "/v1/test/getcrumb":
            return 200, {"Content-Type": "text/plain"}, b"stubCrumb123"
        if seen.path.startswith("/v8/finance/chart/"):
            sym = seen.path.rsplit("/", 1)[-1]
            s = series.get(sym)
            if s is None:
                return _json(
                    404,
                    {
                        "chart": {
                            "result": None,
                            "error": {
                                "code": "Not Found",
                                "description": "No data found, symbol may be delisted",
                            },
                        }
                    },
                )
            p1 = int(seen.params["period1"]) if "period1" in seen.params else None
            p2 = int(seen.params["period2"]) if "period2" in seen.params else None
            interval = seen.params.get("interval", "1d")
            if interval != "1d" and p1 is not None and p2 is not None:
                return _json(200, intraday_payload(s, p1, p2, interval))
            return _json(200, chart_payload(s, p1, p2, seen.params.get("range")))
        return _json(404, {"error": "unknown path"})

    return handle


# ---------------------------------------------------------------- Binance (REST v3)

# Binance's wire format lives in the one fakes package (vt_fakes.exchange); this stub only
# serves its public exchangeInfo and klines, from a start the benchmark may move.
BINANCE_START_MS = binance_wire.START_MS


def exchange_info() -> dict[str, Any]:
    return binance_wire.exchange_info(list(DEFAULT_MARKETS), BINANCE_START_MS)


def binance_handler(seen: Seen) -> tuple[int, dict[str, str], bytes]:
    if seen.path == "/api/v3/exchangeInfo":
        return _json(200, exchange_info())
    if seen.path == "/api/v3/klines":
        symbol = seen.params.get("symbol")
        if symbol not in ("BTCUSDT", "ETHUSDT"):
            return _json(400, {"code": -1121, "msg": "Invalid symbol."})
        return _json(200, binance_wire.klines(seen.params, BINANCE_START_MS))
    return _json(404, {"code": -1, "msg": "unknown path"})


# ---------------------------------------------------------------- polygon.io aggregates


# ticker -> execution dates of its splits (tests add one and remove it again)
POLYGON_SPLITS: dict[str, list[str]] = {}


def polygon_splits(seen: Seen) -> tuple[int, dict[str, str], bytes]:
    """`GET /v3/reference/splits?ticker=&execution_date.gte=&execution_date.lt=`."""
    ticker = seen.params.get("ticker", "")
    lo = seen.params.get("execution_date.gte", "0000-00-00")
    hi = seen.params.get("execution_date.lt", "9999-99-99")
    results = [
        {"execution_date": d, "split_from": 1, "split_to": 4, "ticker": ticker, "id": f"E{d}"}
        for d in POLYGON_SPLITS.get(ticker, [])
        if lo <= d < hi
    ]
    return _json(200, {"results": results, "status": "OK", "request_id": "stub"})


def _polygon_key(seen: Seen) -> str | None:
    """polygon.io takes the key as `Authorization: Bearer <key>` or as the `apiKey` parameter."""
    auth = {k.lower(): v for k, v in seen.headers.items()}.get("authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ")
    return seen.params.get("apiKey")


def polygon_handler(seen: Seen) -> tuple[int, dict[str, str], bytes]:
    if seen.path.rstrip("/") == "/v3/reference/splits":
        if _polygon_key(seen) != "test-key":
            return _json(401, {"status": "ERROR", "request_id": "x", "error": "Unknown API Key"})
        return polygon_splits(seen)
    parts = seen.path.strip("/").split("/")
    # v2/aggs/ticker/{ticker}/range/{mult}/{span}/{from}/{to}
    if len(parts) != 9 or parts[:3] != ["v2", "aggs", "ticker"]:
        return _json(404, {"status": "NOT_FOUND", "message": "unknown path"})
    if _polygon_key(seen) != "test-key":
        return _json(401, {"status": "ERROR", "request_id": "x", "error": "Unknown API Key"})
    ticker, span, frm, to = parts[3], parts[6], int(parts[7]), int(parts[8])
    step = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}[span] * int(parts[5])
    rows = []
    days = pd.bdate_range("2021-01-04", "2021-02-26")
    if span == "day":
        stamps = [int(d.tz_localize("America/New_York").value // 1_000_000) for d in days]
    else:
        stamps = list(range(frm - frm % step, to + 1, step))
    for i, t in enumerate(stamps):
        if frm <= t <= to:
            c = 130.0 + i
            rows.append(
                {
                    "v": 1000.0 + i,
                    "vw": c,
                    "o": c - 0.5,
                    "c": c,
                    "h": c + 1,
                    "l": c - 1,
                    "t": t,
                    "n": 10,
                }
            )
    return _json(
        200,
        {
            "ticker": ticker,
            "queryCount": len(rows),
            "resultsCount": len(rows),
            "adjusted": seen.params.get("adjusted") == "true",
            "results": rows,
            "status": "OK",
            "request_id": "stub",
            "count": len(rows),
        },
    )
