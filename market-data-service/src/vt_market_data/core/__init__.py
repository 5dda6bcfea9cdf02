"""Pure OHLCV logic: bars, timeframes, resampling, adjustment, calendars and quality checks."""
