"""Pure backtest engine core: indicators, spec compiler, simulator, metrics, validation."""
