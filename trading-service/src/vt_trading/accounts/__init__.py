"""Broker accounts: venue, environment, encrypted credentials, risk limits."""
