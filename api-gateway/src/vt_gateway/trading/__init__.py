"""Trading: deployments, orders, fills, positions, risk, kill switch (trading-service)."""
