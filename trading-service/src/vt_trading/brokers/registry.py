"""Which `Broker` serves an account: chosen by the account's venue.

`paper` -> the persisted paper book, `ccxt:<exchange>` -> the ccxt adapter with the account's
decrypted credentials (the exchange's testnet in the paper environment), and whatever another
module registers (`register("ibkr", factory)`). A factory returns an unconnected broker; the
caller connects and closes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from vt_trading.brokers.base import BadCredentials, Broker, BrokerUnavailable

if TYPE_CHECKING:
    from vt_db.trading_models import BrokerAccountRow
    from vt_trading.context import TradingContext

Factory = Callable[["TradingContext", "BrokerAccountRow"], Broker]
_FACTORIES: dict[str, Factory] = {}


def register(venue_kind: str, factory: Factory) -> None:
    """`venue_kind` is the part before ':' (`paper`, `ibkr`, `ccxt`)."""
    _FACTORIES[venue_kind] = factory


def kind_of(venue: str) -> str:
    return venue.split(":", 1)[0]


def broker_for(ctx: TradingContext, account: BrokerAccountRow) -> Broker:
    factory = _FACTORIES.get(kind_of(account.venue))
    if factory is None:
        raise BrokerUnavailable(
            f"no adapter for venue '{account.venue}' in this service; known: "
            f"{', '.join(sorted(_FACTORIES))}."
        )
    return factory(ctx, account)


def credentials_of(ctx: TradingContext, account: BrokerAccountRow) -> dict[str, str]:
    """The account's decrypted credentials (never logged, never returned)."""
    if account.credentials_enc is None:
        raise BadCredentials(
            f"account '{account.id}' ({account.venue}) has no credentials; add an API key first."
        )
    plain = ctx.secrets.decrypt(account.credentials_enc)
    if plain is None:
        raise BadCredentials(
            f"the credentials of account '{account.id}' cannot be decrypted with this service's "
            "key (TRADING_SECRETS_KEY changed?); store the API key again."
        )
    data: dict[str, str] = json.loads(plain)
    return data


def _paper(ctx: TradingContext, account: BrokerAccountRow) -> Broker:
    from vt_trading.brokers.paper_venue import PaperVenue

    return PaperVenue(ctx.sessionmaker, account.id, currency=account.base_currency)


def _ccxt(ctx: TradingContext, account: BrokerAccountRow) -> Broker:
    from vt_trading.brokers.ccxt_venue import CcxtBroker, config_from_credentials

    return CcxtBroker(
        config_from_credentials(
            account.venue,
            credentials_of(ctx, account),
            environment=account.environment,
            quote=account.base_currency,
            api_base_url=ctx.settings.ccxt_api_base_url,
        )
    )


register("paper", _paper)
register("ccxt", _ccxt)
