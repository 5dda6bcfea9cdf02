"""What the platform supports: markets, timeframes, indicators, symbol aliases.

The offline parser, the feasibility check and the LLM prompt all read this one catalogue, so
what the model is told is supported is exactly what the engine can run.
"""

from __future__ import annotations

import re
from typing import Final

from vt_contracts import INDICATOR_OUTPUTS, TIMEFRAMES, Market

MARKETS: Final[dict[str, str]] = {
    "us_equity": "US equities and ETFs (e.g. SPY, AAPL), 252 trading days a year",
    "hk_equity": "Hong Kong equities (e.g. 0700.HK), HKEX calendar",
    "crypto": "crypto spot pairs via ccxt (e.g. BTC/USDT), 24/7, fractional units",
}

INDICATORS: Final[dict[str, str]] = {
    "sma": "simple moving average (window)",
    "ema": "exponential moving average (window)",
    "wma": "weighted moving average (window)",
    "rsi": "Relative Strength Index, 0-100 (window, default 14)",
    "macd": "MACD line/signal/histogram (fast 12, slow 26, signal 9)",
    "bbands": "Bollinger Bands upper/middle/lower/percent_b/bandwidth (window 20, num_std 2)",
    "atr": "Average True Range (window 14)",
    "adx": "Average Directional Index with +DI/-DI (window 14)",
    "stoch": "Stochastic oscillator %K/%D (14, 3, 3)",
    "donchian": "Donchian channel: prior N-bar high/low (window 20)",
    "vwap": "volume-weighted average price (rolling window or daily reset)",
    "roc": "rate of change / N-bar return in percent (window)",
    "realized_vol": "realised volatility, annualised percent (window 20)",
    "zscore": "rolling z-score of price (window 20)",
    "spread_zscore": "pairs spread z-score between two symbols (window 60)",
}
assert set(INDICATORS) == set(INDICATOR_OUTPUTS)

SUPPORTED_TIMEFRAMES: Final[tuple[str, ...]] = TIMEFRAMES

# Indicators people ask for that the engine does not have (name -> display name).
UNSUPPORTED_INDICATORS: Final[dict[str, str]] = {
    "ichimoku": "Ichimoku cloud",
    "fibonacci": "Fibonacci retracements",
    "fib ": "Fibonacci retracements",
    "elliott": "Elliott waves",
    "parabolic sar": "Parabolic SAR",
    "psar": "Parabolic SAR",
    "supertrend": "Supertrend",
    "keltner": "Keltner channels",
    "obv": "On-Balance Volume",
    "on-balance volume": "On-Balance Volume",
    "on balance volume": "On-Balance Volume",
    "williams %r": "Williams %R",
    "cci": "Commodity Channel Index",
    "commodity channel": "Commodity Channel Index",
    "mfi": "Money Flow Index",
    "money flow index": "Money Flow Index",
    "heikin": "Heikin-Ashi candles",
    "pivot point": "pivot points",
    "volume profile": "volume profile",
    "order book": "order-book data",
    "order flow": "order-flow data",
    "sentiment": "sentiment signals",
    "news": "news signals",
    "earnings": "earnings data",
    "options flow": "options flow",
    "implied volatility": "implied volatility",
    "machine learning": "machine-learning models",
    "neural network": "neural networks",
    "lstm": "neural networks",
}

# Words that name an asset -> the symbol the data service knows.
SYMBOL_ALIASES: Final[dict[str, str]] = {
    "bitcoin": "BTC/USDT",
    "btc": "BTC/USDT",
    "xbt": "BTC/USDT",
    "ethereum": "ETH/USDT",
    "ether": "ETH/USDT",
    "eth": "ETH/USDT",
    "solana": "SOL/USDT",
    "sol": "SOL/USDT",
    "dogecoin": "DOGE/USDT",
    "doge": "DOGE/USDT",
    "ripple": "XRP/USDT",
    "xrp": "XRP/USDT",
    "cardano": "ADA/USDT",
    "bnb": "BNB/USDT",
    "tencent": "0700.HK",
    "hsbc": "0005.HK",
    "alibaba": "9988.HK",
    "meituan": "3690.HK",
    "xiaomi": "1810.HK",
    "aia": "1299.HK",
    "hang seng": "^HSI",
    "hsi": "^HSI",
    "tracker fund": "2800.HK",
    "apple": "AAPL",
    "microsoft": "MSFT",
    "nvidia": "NVDA",
    "tesla": "TSLA",
    "amazon": "AMZN",
    "google": "GOOGL",
    "alphabet": "GOOGL",
    "meta": "META",
    "facebook": "META",
    "netflix": "NFLX",
    "coca-cola": "KO",
    "coca cola": "KO",
    "coke": "KO",
    "pepsi": "PEP",
    "pepsico": "PEP",
    "exxon": "XOM",
    "chevron": "CVX",
    "s&p 500": "SPY",
    "s&p500": "SPY",
    "s&p": "SPY",
    "sp500": "SPY",
    "nasdaq 100": "QQQ",
    "nasdaq-100": "QQQ",
    "nasdaq": "QQQ",
    "russell 2000": "IWM",
    "dow jones": "DIA",
    "gold": "GLD",
    "treasuries": "TLT",
    "vix": "^VIX",
}

# Tickers recognised even when typed in lower case.
KNOWN_TICKERS: Final[frozenset[str]] = frozenset(
    {
        "SPY", "QQQ", "IWM", "DIA", "VOO", "VTI", "GLD", "SLV", "TLT", "IEF", "HYG", "EEM",
        "EFA", "XLE", "XLF", "XLK", "XLV", "XLY", "XLP", "XLI", "XLU", "SMH", "ARKK", "AAPL",
        "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "GOOG", "META", "NFLX", "AMD", "INTC", "JPM",
        "BAC", "KO", "PEP", "XOM", "CVX", "WMT", "DIS", "BA", "COIN", "MSTR", "UBER", "PLTR",
    }
)  # fmt: skip

# Upper-case words that are not tickers (indicators, units, common words).
NOT_TICKERS: Final[frozenset[str]] = frozenset(
    {
        "RSI", "SMA", "EMA", "WMA", "MACD", "ATR", "ADX", "VWAP", "ROC", "MA", "DI", "BB",
        "AND", "OR", "NOT", "IF", "THE", "A", "I", "AM", "PM", "USD", "USDT", "HKD", "EUR",
        "UTC", "ETF", "OK", "TP", "SL", "ATH", "YTD", "BPS", "BP", "PNL", "CAGR", "K", "M",
        "D", "H", "W", "US", "HK", "NYSE", "HKEX", "CEO", "IPO", "AI", "LLM", "JSON", "API",
        "STOP", "LOSS", "BUY", "SELL", "LONG", "SHORT", "WHEN", "THEN", "ELSE", "ON", "AT",
        "IN", "TO", "OF", "BY", "FOR", "WITH", "ALL", "ANY", "MY", "IT", "IS", "BE", "DO",
        "KELLY", "VOL", "STD", "SD", "OHLC", "OHLCV", "HL", "FAST", "SLOW", "DMI", "CCI",
        "OBV", "MFI", "SAR", "PSAR", "ZSCORE", "Z", "N", "X", "NEW", "HIGH", "LOW", "OPEN",
        "CLOSE", "ONLY", "ABOVE", "BELOW", "SPREAD", "PAIR", "PAIRS", "DAY", "DAYS", "BAR",
        "BARS", "RUN", "OS", "SYSTEM", "CODE", "PYTHON", "IGNORE", "ETH", "BTC", "SOL",
        "FOMC", "CPI", "NFP", "FED", "GDP", "PPI", "EOD", "KO_", "DD", "MDD",
    }
)  # fmt: skip

_HK_RE = re.compile(r"^(\d{1,5})\.HK$", re.IGNORECASE)


def normalise_symbol(raw: str) -> str:
    """Canonical spelling of a symbol: upper case, HK codes padded to four digits."""
    sym = raw.strip().upper()
    m = _HK_RE.match(sym)
    if m:
        return f"{int(m.group(1)):04d}.HK"
    return sym


def market_of(symbol: str) -> Market:
    """Market a symbol trades on, from its spelling."""
    sym = symbol.upper()
    if "/" in sym:
        return "crypto"
    if sym.endswith(".HK") or sym == "^HSI":
        return "hk_equity"
    if sym.startswith(("SAMPLE:", "DEMO:")):
        tail = sym.split(":", 1)[1]
        if tail.startswith(("BTC", "ETH", "CRYPTO")):
            return "crypto"
        if tail.endswith("HK") or tail[:1].isdigit():
            return "hk_equity"
    return "us_equity"


def bars_per_year(market: str, timeframe: str) -> float:
    """Bars in a year for a market and bar size (used for lookbacks like '52-week')."""
    days = 365.0 if market == "crypto" else 252.0
    hours_per_day = 24.0 if market == "crypto" else (6.5 if market == "us_equity" else 5.5)
    minutes = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240}
    if timeframe == "1d":
        return days
    if timeframe == "1w":
        return 52.0
    return days * hours_per_day * 60.0 / minutes[timeframe]


def supported_summary() -> str:
    """One paragraph listing what is supported (for clarifying answers and the LLM prompt)."""
    inds = ", ".join(sorted(INDICATORS))
    mkts = "; ".join(f"{k}: {v}" for k, v in MARKETS.items())
    tfs = ", ".join(SUPPORTED_TIMEFRAMES)
    return f"Indicators: {inds}. Markets: {mkts}. Timeframes: {tfs}."
