"""Market research service: regime, trend, volatility and sentiment insights."""
