"""Deployments: a pinned strategy version + its qualifying backtest, on a broker account."""
