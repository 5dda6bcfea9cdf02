"""vt_db: SQLAlchemy 2 async models, session helpers and the single Alembic history."""

from vt_db.models import (
    AuthToken,
    BacktestResultRow,
    BacktestRun,
    Base,
    Conversation,
    ConversationMessage,
    MarketCacheBar,
    MarketCacheCoverage,
    ResearchSummary,
    Strategy,
    StrategyVersion,
    User,
    UserDataset,
    UserDatasetBar,
)
from vt_db.session import make_engine, make_sessionmaker, session_scope, to_async_url, to_sync_url

__all__ = [
    "AuthToken",
    "BacktestResultRow",
    "BacktestRun",
    "Base",
    "Conversation",
    "ConversationMessage",
    "MarketCacheBar",
    "MarketCacheCoverage",
    "ResearchSummary",
    "Strategy",
    "StrategyVersion",
    "User",
    "UserDataset",
    "UserDatasetBar",
    "make_engine",
    "make_sessionmaker",
    "session_scope",
    "to_async_url",
    "to_sync_url",
]
