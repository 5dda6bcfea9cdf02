"""The services `make up` runs, each as its own process."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceDef:
    name: str
    module: str
    port_env: str
    default_port: int
    url_env: str | None
    # variables only this process gets (the trading service runs twice: paper and live)
    env: dict[str, str] = field(default_factory=dict)


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("strategy-ai", "vt_strategy_ai", "STRATEGY_AI_PORT", 8001, "STRATEGY_AI_URL"),
    ServiceDef("backtest", "vt_backtest", "BACKTEST_ENGINE_PORT", 8002, "BACKTEST_ENGINE_URL"),
    ServiceDef("market-data", "vt_market_data", "MARKET_DATA_PORT", 8003, "MARKET_DATA_URL"),
    ServiceDef("research", "vt_research", "MARKET_RESEARCH_PORT", 8004, "MARKET_RESEARCH_URL"),
    ServiceDef(
        "trading",
        "vt_trading",
        "TRADING_PORT",
        8005,
        "TRADING_PAPER_URL",
        {"TRADING_ENVIRONMENT": "paper"},
    ),
    ServiceDef(
        "trading-live",
        "vt_trading",
        "TRADING_LIVE_PORT",
        8006,
        "TRADING_LIVE_URL",
        {"TRADING_ENVIRONMENT": "live"},
    ),
    ServiceDef("gateway", "vt_gateway", "GATEWAY_PORT", 8000, None),
)
