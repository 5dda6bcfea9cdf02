"""Symbol validation, routing to a provider, aliases and search."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from vt_kit.problems import NotFound, Unprocessable

PROVIDERS = ("yfinance", "ccxt", "polygon", "sample", "demo", "file", "upload")


@dataclass(frozen=True)
class SymbolInfo:
    """A resolved symbol: canonical name, which provider serves it and how it trades."""

    symbol: str
    provider: str
    market: str | None
    timezone: str
    name: str = ""
    exchange: str | None = None  # ccxt exchange id
    native: str = ""  # the provider's own spelling

    def as_dict(self) -> dict[str, str | None]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "market": self.market,
            "provider": self.provider,
            "timezone": self.timezone,
        }


SAMPLE_NAMES = {
    "AAPL": "Apple Inc.",
    "MSFT": "Microsoft Corp.",
    "IBM": "International Business Machines Corp.",
    "GOOG": "Google Inc. (pre-2014 GOOGL history)",
}
DEMO_NAMES = {
    "TREND": "Synthetic trending series",
    "RANGE": "Synthetic mean-reverting (range-bound) series",
    "PAIR_A": "Synthetic pair leg A (random walk)",
    "PAIR_B": "Synthetic pair leg B (cointegrated with PAIR_A)",
}

# alias (lower-case) -> canonical symbol
ALIASES: dict[str, str] = {
    "btc": "BTC/USDT",
    "bitcoin": "BTC/USDT",
    "eth": "ETH/USDT",
    "ethereum": "ETH/USDT",
    "sol": "SOL/USDT",
    "solana": "SOL/USDT",
    "bnb": "BNB/USDT",
    "xrp": "XRP/USDT",
    "doge": "DOGE/USDT",
    "tencent": "0700.HK",
    "hsbc": "0005.HK",
    "alibaba": "9988.HK",
    "meituan": "3690.HK",
    "hkex": "0388.HK",
    "aia": "1299.HK",
    "xiaomi": "1810.HK",
    "hang seng": "^HSI",
    "hsi": "^HSI",
    "vix": "^VIX",
    "s&p 500": "^GSPC",
    "sp500": "^GSPC",
    "nasdaq": "^IXIC",
    "apple": "AAPL",
    "microsoft": "MSFT",
    "google": "GOOGL",
    "alphabet": "GOOGL",
    "amazon": "AMZN",
    "nvidia": "NVDA",
    "tesla": "TSLA",
    "meta": "META",
    "ibm": "IBM",
}

# a small directory for search (name, market); any valid ticker also resolves without it
KNOWN: dict[str, str] = {
    "AAPL": "Apple Inc.",
    "MSFT": "Microsoft Corp.",
    "GOOGL": "Alphabet Inc. class A",
    "AMZN": "Amazon.com Inc.",
    "NVDA": "NVIDIA Corp.",
    "TSLA": "Tesla Inc.",
    "META": "Meta Platforms Inc.",
    "IBM": "International Business Machines Corp.",
    "SPY": "SPDR S&P 500 ETF Trust",
    "QQQ": "Invesco QQQ Trust",
    "IWM": "iShares Russell 2000 ETF",
    "GLD": "SPDR Gold Shares",
    "TLT": "iShares 20+ Year Treasury Bond ETF",
    "^VIX": "CBOE Volatility Index",
    "^GSPC": "S&P 500 index",
    "^IXIC": "Nasdaq Composite index",
    "^HSI": "Hang Seng Index",
    "0700.HK": "Tencent Holdings",
    "0005.HK": "HSBC Holdings",
    "9988.HK": "Alibaba Group",
    "3690.HK": "Meituan",
    "0388.HK": "Hong Kong Exchanges and Clearing",
    "1299.HK": "AIA Group",
    "1810.HK": "Xiaomi",
    "2800.HK": "Tracker Fund of Hong Kong",
    "BTC/USDT": "Bitcoin / Tether",
    "ETH/USDT": "Ether / Tether",
    "SOL/USDT": "Solana / Tether",
    "BNB/USDT": "BNB / Tether",
    "XRP/USDT": "XRP / Tether",
    "DOGE/USDT": "Dogecoin / Tether",
}

_HK = re.compile(r"^(\d{1,5})\.HK$")
_US = re.compile(r"^[A-Z][A-Z0-9]{0,5}([.-][A-Z]{1,2})?$")
_INDEX = re.compile(r"^\^[A-Z0-9]{2,10}$")
_PAIR = re.compile(r"^(?:([a-z0-9]+):)?([A-Z0-9]{1,15})/([A-Z0-9]{1,10})(?::([A-Z0-9]{1,10}))?$")
_FILE = re.compile(r"^FILE:([A-Za-z0-9_.\-]{1,60})$")


def _unknown(symbol: str) -> NotFound:
    return NotFound(
        f"unknown symbol '{symbol}'. Use a ticker such as AAPL or SPY (US), 0700.HK (Hong Kong), "
        "^VIX (index), BTC/USDT (crypto, optionally 'kraken:BTC/USD'), FILE:<name> for files in the "
        "data directory, or the offline samples SAMPLE:AAPL / DEMO:TREND; GET /symbols/search?q= helps.",
        title="Unknown symbol",
    )


def canonical(symbol: str) -> str:
    """Apply aliases and normalise case (crypto pairs and tickers upper-case)."""
    s = symbol.strip()
    alias = ALIASES.get(s.lower())
    if alias:
        return alias
    if ":" in s and "/" in s:
        ex, _, pair = s.partition(":")
        return f"{ex.lower()}:{pair.upper()}"
    if s.upper().startswith(("SAMPLE:", "DEMO:")):
        return s.upper()
    if s.upper().startswith("FILE:"):
        return "FILE:" + s[5:]
    m = _HK.match(s.upper())
    if m:
        return f"{int(m.group(1)):04d}.HK"
    return s.upper()


def resolve(
    symbol: str, provider: str | None = None, *, default_exchange: str = "binance"
) -> SymbolInfo:
    """Route a symbol to its provider (or check it against an explicitly named provider)."""
    if not symbol or len(symbol) > 64:
        raise Unprocessable("symbol must be 1 to 64 characters long.")
    if provider is not None and provider not in PROVIDERS:
        raise Unprocessable(
            f"provider '{provider}' is not known; use one of {', '.join(PROVIDERS)}."
        )
    s = canonical(symbol)
    if s.startswith("SAMPLE:"):
        key = s[7:]
        if key not in SAMPLE_NAMES:
            raise _unknown(symbol)
        info = SymbolInfo(
            s, "sample", "us_equity", "America/New_York", SAMPLE_NAMES[key], native=key
        )
    elif s.startswith("DEMO:"):
        key = s[5:]
        if key not in DEMO_NAMES:
            raise _unknown(symbol)
        info = SymbolInfo(s, "demo", "crypto", "UTC", DEMO_NAMES[key], native=key)
    elif (fm := _FILE.match(s)) is not None:
        info = SymbolInfo(s, "file", None, "UTC", f"file {fm.group(1)}", native=fm.group(1))
    elif (pm := _PAIR.match(s)) is not None:
        exchange = pm.group(1) or default_exchange
        pair = f"{pm.group(2)}/{pm.group(3)}" + (f":{pm.group(4)}" if pm.group(4) else "")
        canon = pair if exchange == default_exchange else f"{exchange}:{pair}"
        info = SymbolInfo(
            canon, "ccxt", "crypto", "UTC", KNOWN.get(pair, pair), exchange=exchange, native=pair
        )
    elif _HK.match(s):
        info = SymbolInfo(s, "yfinance", "hk_equity", "Asia/Hong_Kong", KNOWN.get(s, ""), native=s)
    elif _INDEX.match(s):
        hk = s in ("^HSI", "^HSCE")
        info = SymbolInfo(
            s,
            "yfinance",
            "hk_equity" if hk else "us_equity",
            "Asia/Hong_Kong" if hk else "America/New_York",
            KNOWN.get(s, ""),
            native=s,
        )
    elif _US.match(s):
        info = SymbolInfo(
            s, "yfinance", "us_equity", "America/New_York", KNOWN.get(s, ""), native=s
        )
    else:
        raise _unknown(symbol)
    if provider is None or provider == info.provider or provider == "upload":
        return info
    if provider == "polygon" and info.provider == "yfinance" and info.market == "us_equity":
        native = "I:" + s[1:] if s.startswith("^") else s
        return SymbolInfo(s, "polygon", "us_equity", info.timezone, info.name, native=native)
    if provider == "polygon" and info.provider == "ccxt":
        native = "X:" + info.native.replace("/", "").replace("USDT", "USD")
        return SymbolInfo(s, "polygon", "crypto", "UTC", info.name, native=native)
    raise Unprocessable(
        f"provider '{provider}' does not serve '{symbol}' (it routes to {info.provider}); "
        "leave provider empty or pick the matching one."
    )


def search(query: str, limit: int = 20) -> list[SymbolInfo]:
    """Search the samples, demos, aliases and the small directory; a valid symbol matches itself."""
    q = query.strip().lower()
    found: dict[str, SymbolInfo] = {}

    def add(sym: str) -> None:
        if sym in found:
            return
        with contextlib.suppress(Exception):  # search never fails on one bad entry
            found[sym] = resolve(sym)

    if q in ALIASES:
        add(ALIASES[q])
    candidates = (
        [f"SAMPLE:{k}" for k in SAMPLE_NAMES] + [f"DEMO:{k}" for k in DEMO_NAMES] + list(KNOWN)
    )
    for sym in candidates:
        try:
            info = resolve(sym)
        except Exception:  # noqa: S112
            continue
        if not q or q in sym.lower() or q in info.name.lower():
            add(sym)
    for alias, sym in ALIASES.items():
        if q and q in alias:
            add(sym)
    if q and not found:
        try:
            info = resolve(query)
            found[info.symbol] = info
        except Exception:  # noqa: S110
            pass
    return list(found.values())[:limit]
