"""Market data service: normalised, cached OHLCV from yfinance, ccxt, polygon and files."""
