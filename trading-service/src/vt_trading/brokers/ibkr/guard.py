"""Paper vs live: the port and the account must agree with the broker account's environment.

IB marks paper accounts with a ``D`` second letter (``DU…`` individual, ``DF…`` advisor);
TWS listens on 7497 (paper) / 7496 (live) and IB Gateway on 4002 (paper) / 4001 (live) by
default. A mismatch refuses to connect — the one mistake that must never happen is a paper
deployment trading a live account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from vt_trading.brokers.base import BrokerError

Environment = Literal["paper", "live"]

PAPER_PORTS = frozenset({7497, 4002})
LIVE_PORTS = frozenset({7496, 4001})


class EnvironmentMismatch(BrokerError):
    """The TWS/Gateway port or account belongs to the other environment; nothing was sent."""


def is_paper_account(account: str) -> bool:
    return len(account) > 2 and account[0] == "D" and account[1] in "UF"


def check_port(environment: Environment, port: int, *, live_enabled: bool) -> None:
    """Before connecting: a known port of the other environment, or live while live trading is
    off, refuses."""
    if environment == "live" and not live_enabled:
        raise EnvironmentMismatch(
            "live IBKR trading is disabled on this service: set TRADING_LIVE_ENABLED=true on the "
            "live trading process and arm the account before connecting"
        )
    if environment == "paper" and port in LIVE_PORTS:
        raise EnvironmentMismatch(
            f"port {port} is a live TWS/IB Gateway port but this broker account is paper: "
            "use the paper port (TWS 7497, IB Gateway 4002)"
        )
    if environment == "live" and port in PAPER_PORTS:
        raise EnvironmentMismatch(
            f"port {port} is a paper TWS/IB Gateway port but this broker account is live: "
            "use the live port (TWS 7496, IB Gateway 4001)"
        )


def check_accounts(environment: Environment, expected: str, managed: Sequence[str]) -> str:
    """After the handshake: the account to trade must be among the session's managed accounts
    and be of the right kind. Returns the account to use."""
    if expected:
        if expected not in managed:
            raise EnvironmentMismatch(
                f"IBKR account {expected} is not managed by this TWS/IB Gateway session "
                f"(it manages {', '.join(managed) or 'nothing'}): log in with that account"
            )
        account = expected
    elif len(managed) == 1:
        account = managed[0]
    else:
        raise EnvironmentMismatch(
            "this TWS/IB Gateway session manages several accounts "
            f"({', '.join(managed)}): set the broker account's IBKR account id"
        )
    paper = is_paper_account(account)
    if environment == "paper" and not paper:
        raise EnvironmentMismatch(
            f"account {account} is a live IBKR account but this broker account is paper: "
            "log TWS/IB Gateway in with the paper user (account id starting DU)"
        )
    if environment == "live" and paper:
        raise EnvironmentMismatch(
            f"account {account} is an IBKR paper account but this broker account is live: "
            "log TWS/IB Gateway in with the live user, or make the broker account paper"
        )
    return account
