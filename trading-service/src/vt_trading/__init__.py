"""Trading service: deployments of backtested strategies to paper (and later live) brokers."""
