"""Backtest runs: create, read, list."""
