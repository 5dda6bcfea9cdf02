"""Strategy AI worker: chat to StrategySpec, explanation and generated code."""
