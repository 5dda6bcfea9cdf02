"""API gateway: the one public door (auth, routing, live updates, rate limits)."""
