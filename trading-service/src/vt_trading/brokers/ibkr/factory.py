"""Building an `IbkrBroker` from a broker account's IBKR settings — the one entry point for
the broker registry (``venue == "ibkr"``).

The settings live in the broker account's encrypted credentials as JSON:
``{"host": "127.0.0.1", "port": 7497, "account_id": "DU1234567", "client_role": "trader"}``.
No IBKR secret is needed by the API socket itself (TWS/IB Gateway holds the login), so the
only things that matter are where the socket is and which account it must show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from vt_trading.brokers.base import BadCredentials
from vt_trading.brokers.ibkr.broker import IbkrBroker
from vt_trading.brokers.ibkr.client_ids import ClientIdLeases, Role
from vt_trading.brokers.ibkr.connection import ConnectionManager, Endpoint
from vt_trading.brokers.ibkr.guard import Environment
from vt_trading.brokers.ibkr.raw import AuditSink


@dataclass(frozen=True)
class IbkrConfig:
    host: str = "127.0.0.1"
    port: int = 7497
    account_id: str = ""
    client_role: Role = "trader"
    roll_days: int = 5
    connect_timeout_s: float = 5.0
    ack_timeout_s: float = 10.0  # no acknowledgement by then: the order's outcome is unknown

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> IbkrConfig:
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise BadCredentials(
                f"unknown IBKR settings {sorted(unknown)}: use host, port, account_id, "
                "client_role, roll_days, connect_timeout_s, ack_timeout_s"
            )
        role = data.get("client_role", "trader")
        if role not in ("trader", "monitor"):
            raise BadCredentials(f"client_role must be trader or monitor, not {role!r}")
        return cls(
            host=str(data.get("host", "127.0.0.1")),
            port=int(_number(data, "port", 7497, 1, 65535)),
            account_id=str(data.get("account_id", "")),
            client_role=role,
            roll_days=int(_number(data, "roll_days", 5, 0, 90)),
            connect_timeout_s=_number(data, "connect_timeout_s", 5.0, 0.1, 300.0),
            ack_timeout_s=_number(data, "ack_timeout_s", 10.0, 0.1, 600.0),
        )


def _number(data: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    """A numeric setting within [low, high], or a `BadCredentials` that says which and why."""
    raw = data.get(key, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadCredentials(f"IBKR {key} must be a number, got {raw!r}") from None
    if not low <= value <= high:  # also refuses NaN
        raise BadCredentials(f"IBKR {key} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def build_ibkr_broker(
    config: IbkrConfig,
    *,
    environment: Environment,
    redis: Redis,
    live_enabled: bool = False,
    audit: AuditSink | None = None,
    dry_run: bool = False,
) -> IbkrBroker:
    """An unconnected broker; ``await broker.connect()`` runs the guard, leases and sync."""
    leases = ClientIdLeases(
        redis,
        environment=environment,
        role=config.client_role,
        endpoint=f"{config.host}:{config.port}",
    )
    manager = ConnectionManager(
        Endpoint(config.host, config.port, environment, config.account_id, live_enabled),
        leases,
        connect_timeout_s=config.connect_timeout_s,
    )
    return IbkrBroker(
        manager,
        audit=audit,
        dry_run=dry_run,
        roll_days=config.roll_days,
        ack_timeout_s=config.ack_timeout_s,
    )
