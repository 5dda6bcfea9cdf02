"""Settings of the market research service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode

from vt_kit.settings import ServiceSettings

SAMPLE_UNIVERSE = ["SAMPLE:AAPL", "SAMPLE:MSFT", "SAMPLE:IBM", "SAMPLE:GOOG"]
DEFAULT_CALENDAR = Path(__file__).parent / "data" / "econ_calendar.yaml"


def _split_list(value: Any) -> Any:
    """Accept a JSON list or a comma/newline-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    return value


def _json_dict(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return json.loads(text) if text else {}
    return value


class Settings(ServiceSettings):
    """Environment variables read by market-research-service (see docs/research.md)."""

    service_name: ClassVar[str] = "market-research-service"
    port: int = Field(default=8004, validation_alias=AliasChoices("MARKET_RESEARCH_PORT", "PORT"))
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("HOST", "MARKET_RESEARCH_HOST")
    )

    # Universe, benchmark, markets
    universe: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(SAMPLE_UNIVERSE), alias="VT_RESEARCH_UNIVERSE"
    )
    markets: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=lambda: {"us": list(SAMPLE_UNIVERSE)}, alias="VT_RESEARCH_MARKETS"
    )
    benchmark: str = Field(default="universe", alias="VT_RESEARCH_BENCHMARK")
    top_n: int = Field(default=5, ge=1, le=50, alias="VT_RESEARCH_TOP_N")
    lookback_days: int = Field(default=1100, ge=120, le=20000, alias="VT_RESEARCH_LOOKBACK_DAYS")
    vix_symbol: str = Field(default="^VIX", alias="VT_RESEARCH_VIX_SYMBOL")
    vix_enabled: bool = Field(default=True, alias="VT_RESEARCH_VIX")
    ohlcv_cache_seconds: float = Field(default=300.0, ge=0, alias="VT_RESEARCH_OHLCV_CACHE_SECONDS")
    failure_cache_seconds: float = Field(
        default=300.0, ge=0, alias="VT_RESEARCH_FAILURE_CACHE_SECONDS"
    )
    market_data_timeout: float = Field(default=15.0, gt=0, alias="VT_RESEARCH_MARKET_DATA_TIMEOUT")

    # Sentiment
    sentiment_model: Literal["finvader", "transformers", "none"] = Field(
        default="finvader", alias="VT_SENTIMENT_MODEL"
    )
    sentiment_model_dir: Path | None = Field(default=None, alias="VT_SENTIMENT_MODEL_DIR")
    news_feeds: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="VT_NEWS_FEEDS")
    gdelt_enabled: bool = Field(default=False, alias="VT_GDELT")
    gdelt_url: str = Field(
        default="https://api.gdeltproject.org/api/v2/doc/doc", alias="VT_GDELT_URL"
    )
    news_timeout: float = Field(default=5.0, gt=0, alias="VT_NEWS_TIMEOUT")
    news_max_age_hours: float = Field(default=72.0, gt=0, alias="VT_NEWS_MAX_AGE_HOURS")
    news_cache_seconds: float = Field(default=300.0, ge=0, alias="VT_NEWS_CACHE_SECONDS")
    symbol_aliases: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=lambda: {
            "AAPL": ["Apple"],
            "MSFT": ["Microsoft"],
            "IBM": ["IBM"],
            "GOOG": ["Google", "Alphabet"],
        },
        alias="VT_NEWS_SYMBOL_ALIASES",
    )
    openbb_enabled: bool = Field(default=False, alias="VT_RESEARCH_OPENBB")
    nltk_data_dir: Path = Field(default=Path("var/nltk_data"), alias="VT_NLTK_DATA")

    # Events
    econ_calendar: Path = Field(default=DEFAULT_CALENDAR, alias="VT_ECON_CALENDAR")
    event_window_days: int = Field(default=2, ge=0, le=60, alias="VT_EVENT_WINDOW_DAYS")

    # Schedule
    scheduler_enabled: bool = Field(default=True, alias="VT_RESEARCH_SCHEDULER")
    refresh_seconds: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=lambda: {"crypto": 300.0, "equity": 900.0, "market": 900.0},
        alias="VT_RESEARCH_REFRESH_SECONDS",
    )
    watchlist: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [*SAMPLE_UNIVERSE, "market:us"], alias="VT_RESEARCH_WATCHLIST"
    )
    scheduler_tick_seconds: float = Field(default=30.0, gt=0, alias="VT_RESEARCH_TICK_SECONDS")
    lock_seconds: float = Field(default=120.0, gt=0, alias="VT_RESEARCH_LOCK_SECONDS")

    @field_validator("universe", "news_feeds", "watchlist", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("markets", "refresh_seconds", "symbol_aliases", mode="before")
    @classmethod
    def _dicts(cls, value: Any) -> Any:
        return _json_dict(value)

    def refresh_for(self, asset_class: str) -> float:
        """Refresh interval (seconds) of an asset class; equities' when the class is not listed."""
        return float(self.refresh_seconds.get(asset_class, self.refresh_seconds.get("equity", 900)))
