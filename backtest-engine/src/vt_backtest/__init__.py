"""Backtest engine service: Redis Streams workers running vt_engine."""
