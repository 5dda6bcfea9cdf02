"""ohlcv."""
