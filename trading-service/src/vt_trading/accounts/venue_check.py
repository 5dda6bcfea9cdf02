"""The key test on save: an exchange account's credentials are tried against the venue before
they are stored (a balance call, then the withdraw permission, which we refuse)."""

from __future__ import annotations

from vt_kit.problems import Unprocessable, UpstreamError
from vt_trading.brokers.base import BadCredentials, BrokerUnavailable
from vt_trading.brokers.registry import kind_of
from vt_trading.context import TradingContext


async def check_venue_credentials(
    ctx: TradingContext,
    venue: str,
    environment: str,
    credentials: dict[str, str] | None,
    base_currency: str,
) -> None:
    if kind_of(venue) == "ibkr":
        _check_ibkr_settings(credentials)
        return
    if kind_of(venue) != "ccxt":
        return
    from vt_trading.brokers.ccxt_venue import CcxtBroker, config_from_credentials, known_exchange

    exchange = venue.split(":", 1)[1]
    if not known_exchange(exchange):
        raise Unprocessable(
            f"ccxt has no exchange '{exchange}'; use a ccxt exchange id such as ccxt:binance, "
            "ccxt:okx, ccxt:bybit or ccxt:coinbase.",
            slug="unknown-venue",
        )
    if not credentials:
        return  # stored without keys; a live deployment asks for them
    try:
        config = config_from_credentials(
            venue,
            credentials,
            environment=environment,
            quote=base_currency,
            api_base_url=ctx.settings.ccxt_api_base_url,
        )
    except BadCredentials as e:
        raise Unprocessable(str(e), slug="bad-credentials") from None
    broker = CcxtBroker(config)
    where = exchange
    if config.sandbox:  # OKX calls its testnet demo trading
        where = f"{exchange} demo trading" if exchange == "okx" else f"{exchange} testnet"
    try:
        await broker.connect()
        await broker.verify_credentials()
    except BadCredentials as e:
        what = "key, secret and passphrase" if config.password else "key and secret"
        raise Unprocessable(
            f"{where} refused the API key ({e}). Check the {what} (and that the key "
            f"belongs to the {where}); nothing was stored.",
            slug="bad-credentials",
        ) from None
    except BrokerUnavailable as e:
        raise UpstreamError(
            f"could not reach {where} to test the API key ({e}); nothing was stored, try again.",
            slug="venue-unavailable",
        ) from None
    finally:
        await broker.close()


def _check_ibkr_settings(settings: dict[str, str] | None) -> None:
    """IBKR's 'credentials' are where TWS / IB Gateway listens (it holds the login itself): the
    shape is checked on save; the socket is tried when the account first trades."""
    if not settings:
        return
    from vt_trading.brokers.ibkr.factory import IbkrConfig

    try:
        IbkrConfig.from_mapping(settings)
    except (BadCredentials, ValueError) as e:
        raise Unprocessable(
            f'IBKR settings: {e}. Example: {{"host": "127.0.0.1", "port": 7497, '
            f'"account_id": "DU1234567"}}; nothing was stored.',
            slug="bad-credentials",
        ) from None
