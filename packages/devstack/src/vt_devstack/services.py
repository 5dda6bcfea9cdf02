"""The services `make up` runs, each as its own process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceDef:
    name: str
    module: str
    port_env: str
    default_port: int
    url_env: str | None


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("strategy-ai", "vt_strategy_ai", "STRATEGY_AI_PORT", 8001, "STRATEGY_AI_URL"),
    ServiceDef("backtest", "vt_backtest", "BACKTEST_ENGINE_PORT", 8002, "BACKTEST_ENGINE_URL"),
    ServiceDef("market-data", "vt_market_data", "MARKET_DATA_PORT", 8003, "MARKET_DATA_URL"),
    ServiceDef("research", "vt_research", "MARKET_RESEARCH_PORT", 8004, "MARKET_RESEARCH_URL"),
    ServiceDef("gateway", "vt_gateway", "GATEWAY_PORT", 8000, None),
)
