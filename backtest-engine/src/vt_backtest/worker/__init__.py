"""Backtest workers: Redis Streams consumers that run vt_engine jobs in worker processes."""
