"""Interactive Brokers through ib_async: the `Broker` adapter, its connection manager (client-id
leases, reconnects, IB error codes), the paper/live guard and contract resolution."""

from vt_trading.brokers.ibkr.broker import VENUE, IbkrBroker
from vt_trading.brokers.ibkr.client_ids import ClientIdLeases
from vt_trading.brokers.ibkr.connection import ConnectionManager, Endpoint, State
from vt_trading.brokers.ibkr.factory import IbkrConfig, build_ibkr_broker
from vt_trading.brokers.ibkr.guard import EnvironmentMismatch

__all__ = [
    "VENUE",
    "ClientIdLeases",
    "ConnectionManager",
    "Endpoint",
    "EnvironmentMismatch",
    "IbkrBroker",
    "IbkrConfig",
    "State",
    "build_ibkr_broker",
]
