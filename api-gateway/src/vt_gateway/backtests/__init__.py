"""backtests domain of the gateway."""
