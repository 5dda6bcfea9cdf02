"""Everything a service call or the runner needs besides a session: settings, clients, events.

Built once in lifespan (or by a benchmark / test without HTTP: `TradingContext.create`)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vt_db.session import make_sessionmaker
from vt_kit.crypto import SecretBox
from vt_trading.db import make_trading_engine
from vt_trading.events import Events
from vt_trading.settings import Settings
from vt_trading.upstreams import Upstreams


@dataclass
class TradingContext:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    upstreams: Upstreams
    events: Events
    secrets: SecretBox

    @property
    def environment(self) -> str:
        return self.settings.trading_environment

    @classmethod
    async def create(cls, settings: Settings, redis: Redis) -> TradingContext:
        engine = await make_trading_engine(
            settings.database_url.get_secret_value(),
            settings.trading_environment,
            pool_size=settings.db_pool_size,
        )
        material = (
            settings.secrets_key.get_secret_value()
            if settings.secrets_key is not None
            else settings.internal_token.get_secret_value()
        )
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            upstreams=Upstreams.create(
                strategy_url=settings.strategy_ai_url,
                backtest_url=settings.backtest_engine_url,
                market_data_url=settings.market_data_url,
                token=settings.internal_token.get_secret_value(),
                timeout_s=settings.upstream_timeout_s,
            ),
            events=Events(redis, settings.trading_environment),
            secrets=SecretBox(material, info=b"vt-trading broker credentials v1"),
        )

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        await self.engine.dispose()
